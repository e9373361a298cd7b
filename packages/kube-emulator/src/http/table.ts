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

/** A number field of `o.status` (0 when absent), as kubectl prints workload counts. */
function statusCount(o: KubeObject, field: string): number {
  const status = isMap(o.status) ? o.status : {};
  return typeof status[field] === 'number' ? status[field] : 0;
}

/** metav1.FormatLabelSelector: `a=b,c in (d,e),!f`, or `<none>`. */
function formatSelector(selector: unknown): string {
  if (!isMap(selector)) return '<none>';
  const labels = isMap(selector.matchLabels) ? selector.matchLabels : {};
  const parts = Object.keys(labels)
    .sort()
    .map(k => `${k}=${text(labels[k])}`);
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isMap) : []) {
    const values = Array.isArray(e.values) ? e.values.map(text).join(',') : '';
    const key = text(e.key);
    if (e.operator === 'In') parts.push(`${key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

/** The wide columns of workloads: the template's container names and images, the selector. */
function workloadWideCells(o: KubeObject): unknown[] {
  const spec = isMap(o.spec) ? o.spec : {};
  const template = isMap(spec.template) ? spec.template : {};
  const podSpec = isMap(template.spec) ? template.spec : {};
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers.filter(isMap) : [];
  return [
    containers.map(c => text(c.name)).join(','),
    containers.map(c => text(c.image)).join(','),
    formatSelector(spec.selector),
  ];
}

const WIDE_WORKLOAD_COLUMNS = [
  col('Containers', 'string', 1),
  col('Images', 'string', 1),
  col('Selector', 'string', 1),
];

function deploymentCells(o: KubeObject): unknown[] {
  const spec = isMap(o.spec) ? o.spec : {};
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 0;
  return [
    o.metadata.name,
    `${statusCount(o, 'readyReplicas')}/${desired}`,
    statusCount(o, 'updatedReplicas'),
    statusCount(o, 'availableReplicas'),
    age(o),
    ...workloadWideCells(o),
  ];
}

function replicaSetCells(o: KubeObject): unknown[] {
  const spec = isMap(o.spec) ? o.spec : {};
  return [
    o.metadata.name,
    typeof spec.replicas === 'number' ? spec.replicas : 0,
    statusCount(o, 'replicas'),
    statusCount(o, 'readyReplicas'),
    age(o),
    ...workloadWideCells(o),
  ];
}

function daemonSetCells(o: KubeObject): unknown[] {
  const spec = isMap(o.spec) ? o.spec : {};
  const template = isMap(spec.template) ? spec.template : {};
  const podSpec = isMap(template.spec) ? template.spec : {};
  const nodeSelector = isMap(podSpec.nodeSelector) ? podSpec.nodeSelector : {};
  const selectorText = Object.entries(nodeSelector)
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(',');
  return [
    o.metadata.name,
    statusCount(o, 'desiredNumberScheduled'),
    statusCount(o, 'currentNumberScheduled'),
    statusCount(o, 'numberReady'),
    statusCount(o, 'updatedNumberScheduled'),
    statusCount(o, 'numberAvailable'),
    selectorText || '<none>',
    age(o),
    ...workloadWideCells(o),
  ];
}

function controllerRevisionCells(o: KubeObject): unknown[] {
  const owner = (o.metadata.ownerReferences ?? []).find(r => r.controller === true);
  const group = owner ? owner.apiVersion.split('/').slice(0, -1).join('/') : '';
  const controller = owner
    ? `${owner.kind.toLowerCase()}${group ? `.${group}` : ''}/${owner.name}`
    : '<none>';
  return [o.metadata.name, controller, o.revision ?? 0, age(o)];
}

function endpointSliceCells(o: KubeObject): unknown[] {
  const ports = Array.isArray(o.ports) ? o.ports.filter(isMap) : [];
  const addresses = (Array.isArray(o.endpoints) ? o.endpoints.filter(isMap) : []).flatMap(e =>
    Array.isArray(e.addresses) ? e.addresses.map(text) : [],
  );
  const shown =
    addresses.length === 0
      ? '<none>'
      : addresses.slice(0, 3).join(',') + (addresses.length > 3 ? ` + ${addresses.length - 3} more...` : '');
  return [
    o.metadata.name,
    o.addressType ?? '',
    ports.length === 0
      ? '<unset>'
      : ports.map(p => (p.port === undefined ? '<unset>' : text(p.port))).join(','),
    shown,
    age(o),
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
  'apps/deployments': () => ({
    columns: [
      nameColumn(),
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Age'),
      ...WIDE_WORKLOAD_COLUMNS,
    ],
    cells: deploymentCells,
  }),
  'apps/replicasets': () => ({
    columns: [
      nameColumn(),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Age'),
      ...WIDE_WORKLOAD_COLUMNS,
    ],
    cells: replicaSetCells,
  }),
  'apps/daemonsets': () => ({
    columns: [
      nameColumn(),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      col('Age'),
      ...WIDE_WORKLOAD_COLUMNS,
    ],
    cells: daemonSetCells,
  }),
  'apps/controllerrevisions': () => ({
    columns: [nameColumn(), col('Controller'), col('Revision', 'integer'), col('Age')],
    cells: controllerRevisionCells,
  }),
  'discovery.k8s.io/endpointslices': () => ({
    columns: [nameColumn(), col('AddressType'), col('Ports'), col('Endpoints'), col('Age')],
    cells: endpointSliceCells,
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
