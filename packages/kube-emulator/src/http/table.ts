// SPDX-License-Identifier: Apache-2.0
/**
 * Server-side printing: the `meta.k8s.io/v1 Table` kubectl asks for in `get` (Accept
 * `application/json;as=Table;g=meta.k8s.io;v=v1`), with per-kind columns and CRD
 * additionalPrinterColumns.
 */
import { text } from '../errors.js';
import { type JsonObject, type KubeObject, type PrinterColumn, type ResourceType, isMap } from '../types.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function col(name: string, type = 'string', priority = 0, format = ''): Column {
  return { name, type, format, description: name, priority };
}

/** Human duration as kubectl prints ages. */
export function humanAge(from: string | undefined, nowMs = Date.now()): string {
  if (!from) return '<unknown>';
  const s = Math.max(0, Math.floor((nowMs - Date.parse(from)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 === 0 ? '' : `${s % 60}s`}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Evaluates the simple JSONPath forms CRD printer columns use. */
export function evalJsonPath(obj: unknown, jsonPath: string): unknown {
  const path = jsonPath.replace(/^\{?\$?/, '').replace(/\}$/, '');
  const tokens = path.match(/\.[^.[]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown = obj;
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined;
    if (t.startsWith('.')) {
      cur = isMap(cur) ? cur[t.slice(1)] : undefined;
      continue;
    }
    const inner = t.slice(1, -1);
    const filter = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
    if (filter && Array.isArray(cur)) {
      cur = cur.find(x => isMap(x) && String(evalJsonPath(x, `.${filter[1]}`)) === filter[2]);
    } else if (/^\d+$/.test(inner) && Array.isArray(cur)) cur = cur[Number(inner)];
    else if (inner === '*' && Array.isArray(cur)) cur = cur.join(',');
    else return undefined;
  }
  return cur;
}

function podCells(o: KubeObject): unknown[] {
  const spec = isMap(o.spec) ? o.spec : {};
  const status = isMap(o.status) ? o.status : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.length : 0;
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isMap) : [];
  const ready = statuses.filter(s => s.ready === true).length;
  const restarts = statuses.reduce(
    (n, s) => n + (typeof s.restartCount === 'number' ? s.restartCount : 0),
    0,
  );
  const phase = o.metadata.deletionTimestamp ? 'Terminating' : (status.reason ?? status.phase ?? 'Pending');
  return [
    o.metadata.name,
    `${ready}/${containers}`,
    phase,
    restarts,
    humanAge(o.metadata.creationTimestamp),
    status.podIP ?? '<none>',
    spec.nodeName ?? '<none>',
  ];
}

function columnsFor(
  type: ResourceType,
  version: string,
): { columns: Column[]; cells: (o: KubeObject) => unknown[] } {
  const age = (o: KubeObject): string => humanAge(o.metadata.creationTimestamp);
  if (type.crd) {
    const printer: PrinterColumn[] = type.crd.versions[version]?.printerColumns ?? [];
    if (printer.length === 0)
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Age', 'date')],
        cells: o => [o.metadata.name, age(o)],
      };
    return {
      columns: [
        col('Name', 'string', 0, 'name'),
        ...printer.map(p => ({
          name: p.name,
          type: p.type,
          format: p.format ?? '',
          description: p.description ?? '',
          priority: p.priority ?? 0,
        })),
      ],
      cells: o => [
        o.metadata.name,
        ...printer.map(p => {
          const v = evalJsonPath(o, p.jsonPath);
          if (v === undefined || v === null) return null;
          if (p.type === 'date' && typeof v === 'string') return humanAge(v);
          return typeof v === 'object' ? JSON.stringify(v) : v;
        }),
      ],
    };
  }
  const key = `${type.group}/${type.plural}`;
  switch (key) {
    case '/pods':
      return {
        columns: [
          col('Name', 'string', 0, 'name'),
          col('Ready'),
          col('Status'),
          col('Restarts', 'string'),
          col('Age'),
          col('IP', 'string', 1),
          col('Node', 'string', 1),
        ],
        cells: podCells,
      };
    case '/namespaces':
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')],
        cells: o => [o.metadata.name, (o.status as JsonObject | undefined)?.phase ?? '', age(o)],
      };
    case '/nodes':
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Roles'), col('Age'), col('Version')],
        cells: o => {
          const conds = ((o.status as JsonObject | undefined)?.conditions as JsonObject[] | undefined) ?? [];
          const ready = conds.find(c => c.type === 'Ready');
          const info = ((o.status as JsonObject | undefined)?.nodeInfo as JsonObject | undefined) ?? {};
          return [
            o.metadata.name,
            ready?.status === 'True' ? 'Ready' : 'NotReady',
            '<none>',
            age(o),
            info.kubeletVersion ?? '',
          ];
        },
      };
    case '/services':
      return {
        columns: [
          col('Name', 'string', 0, 'name'),
          col('Type'),
          col('Cluster-IP'),
          col('External-IP'),
          col('Port(s)'),
          col('Age'),
        ],
        cells: o => {
          const spec = isMap(o.spec) ? o.spec : {};
          const ports = Array.isArray(spec.ports)
            ? spec.ports
                .filter(isMap)
                .map(p => `${text(p.port)}/${text(p.protocol ?? 'TCP')}`)
                .join(',')
            : '<none>';
          return [
            o.metadata.name,
            spec.type ?? 'ClusterIP',
            spec.clusterIP ?? '<none>',
            '<none>',
            ports || '<none>',
            age(o),
          ];
        },
      };
    case '/configmaps':
    case '/secrets':
      return {
        columns: [
          col('Name', 'string', 0, 'name'),
          ...(type.plural === 'secrets' ? [col('Type')] : []),
          col('Data', 'integer'),
          col('Age'),
        ],
        cells: o => {
          const n =
            (isMap(o.data) ? Object.keys(o.data).length : 0) +
            (isMap(o.binaryData) ? Object.keys(o.binaryData).length : 0);
          return type.plural === 'secrets'
            ? [o.metadata.name, o.type ?? 'Opaque', n, age(o)]
            : [o.metadata.name, n, age(o)];
        },
      };
    case '/events':
      return {
        columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
        cells: o => {
          const inv = isMap(o.involvedObject) ? o.involvedObject : {};
          const when = (o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp) as string | undefined;
          return [
            humanAge(when),
            o.type ?? '',
            o.reason ?? '',
            `${text(inv.kind ?? '').toLowerCase()}/${text(inv.name ?? '')}`,
            o.message ?? '',
          ];
        },
      };
    case 'apiextensions.k8s.io/customresourcedefinitions':
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Created At', 'date')],
        cells: o => [o.metadata.name, o.metadata.creationTimestamp],
      };
    case 'coordination.k8s.io/leases':
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Holder'), col('Age')],
        cells: o => [o.metadata.name, (o.spec as JsonObject | undefined)?.holderIdentity ?? '', age(o)],
      };
    default:
      return {
        columns: [col('Name', 'string', 0, 'name'), col('Age', 'date')],
        cells: o => [o.metadata.name, age(o)],
      };
  }
}

/** Renders objects as a Table. `includeObject`: None, Metadata (default) or Object. */
export function toTable(
  type: ResourceType,
  version: string,
  objects: KubeObject[],
  resourceVersion: string | undefined,
  includeObject: string | undefined,
  withColumns = true,
  continueToken?: string,
): JsonObject {
  const { columns, cells } = columnsFor(type, version);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      ...(resourceVersion ? { resourceVersion } : {}),
      ...(continueToken ? { continue: continueToken } : {}),
    },
    ...(withColumns ? { columnDefinitions: columns } : { columnDefinitions: null }),
    rows: objects.map(o => ({
      cells: cells(o),
      ...(includeObject === 'None'
        ? {}
        : {
            object:
              includeObject === 'Object'
                ? o
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
          }),
    })),
  };
}
