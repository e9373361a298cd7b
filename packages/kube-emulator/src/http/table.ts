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

/** A table's columns and how a row's cells are read from an object. */
interface ColumnSet {
  columns: Column[];
  cells: (o: KubeObject) => unknown[];
}

function nameColumn(): Column {
  return col('Name', 'string', 0, 'name');
}

function age(o: KubeObject): string {
  return humanAge(o.metadata.creationTimestamp);
}

/** Name and age: kinds without columns of their own, and CRDs without printer columns. */
function defaultColumns(): ColumnSet {
  return { columns: [nameColumn(), col('Age', 'date')], cells: o => [o.metadata.name, age(o)] };
}

/** A CRD version's additionalPrinterColumns after the name. */
function printerColumns(printer: PrinterColumn[]): ColumnSet {
  return {
    columns: [
      nameColumn(),
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

function nodeCells(o: KubeObject): unknown[] {
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
}

function serviceCells(o: KubeObject): unknown[] {
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
}

/** ConfigMaps and Secrets: the number of keys (Secrets also their type). */
function dataColumns(type: ResourceType): ColumnSet {
  const secrets = type.plural === 'secrets';
  return {
    columns: [nameColumn(), ...(secrets ? [col('Type')] : []), col('Data', 'integer'), col('Age')],
    cells: o => {
      const n =
        (isMap(o.data) ? Object.keys(o.data).length : 0) +
        (isMap(o.binaryData) ? Object.keys(o.binaryData).length : 0);
      return secrets ? [o.metadata.name, o.type ?? 'Opaque', n, age(o)] : [o.metadata.name, n, age(o)];
    },
  };
}

function eventCells(o: KubeObject): unknown[] {
  const inv = isMap(o.involvedObject) ? o.involvedObject : {};
  const when = (o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp) as string | undefined;
  return [
    humanAge(when),
    o.type ?? '',
    o.reason ?? '',
    `${text(inv.kind ?? '').toLowerCase()}/${text(inv.name ?? '')}`,
    o.message ?? '',
  ];
}

/** The columns of built-in kinds, as `kubectl get` prints them, by `group/plural`. */
const BUILTIN_COLUMNS: Record<string, (type: ResourceType) => ColumnSet> = {
  '/pods': () => ({
    columns: [
      nameColumn(),
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      col('Age'),
      col('IP', 'string', 1),
      col('Node', 'string', 1),
    ],
    cells: podCells,
  }),
  '/namespaces': () => ({
    columns: [nameColumn(), col('Status'), col('Age')],
    cells: o => [o.metadata.name, (o.status as JsonObject | undefined)?.phase ?? '', age(o)],
  }),
  '/nodes': () => ({
    columns: [nameColumn(), col('Status'), col('Roles'), col('Age'), col('Version')],
    cells: nodeCells,
  }),
  '/services': () => ({
    columns: [nameColumn(), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age')],
    cells: serviceCells,
  }),
  '/configmaps': dataColumns,
  '/secrets': dataColumns,
  '/events': () => ({
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: eventCells,
  }),
  'apiextensions.k8s.io/customresourcedefinitions': () => ({
    columns: [nameColumn(), col('Created At', 'date')],
    cells: o => [o.metadata.name, o.metadata.creationTimestamp],
  }),
  'coordination.k8s.io/leases': () => ({
    columns: [nameColumn(), col('Holder'), col('Age')],
    cells: o => [o.metadata.name, (o.spec as JsonObject | undefined)?.holderIdentity ?? '', age(o)],
  }),
};

function columnsFor(type: ResourceType, version: string): ColumnSet {
  if (type.crd) {
    const printer: PrinterColumn[] = type.crd.versions[version]?.printerColumns ?? [];
    return printer.length === 0 ? defaultColumns() : printerColumns(printer);
  }
  return (BUILTIN_COLUMNS[`${type.group}/${type.plural}`] ?? defaultColumns)(type);
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
