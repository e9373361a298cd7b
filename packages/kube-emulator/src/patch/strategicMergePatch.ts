// SPDX-License-Identifier: Apache-2.0
/**
 * Strategic merge patch for the built-in kinds, covering what kubectl apply, label, annotate
 * and edit send: lists merged by their patch merge key, primitive lists merged as sets,
 * `null` deletes, and the directives `$patch` (replace/delete; any other is refused), `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 *
 * The merge keys follow the `patchStrategy`/`patchMergeKey` tags of the Kubernetes API types
 * served here, per type (see `kinds`); lists without a strategy are replaced whole.
 */
import { type KubeEmulatorError, badRequest } from '../errors.js';
import { goValue } from './goValue.js';
import { isMap } from '../types.js';

type JsonMap = Record<string, unknown>;

/** How a list field merges: by a merge key, as a set of primitives, or (absent) replaced whole. */
interface ListStrategy {
  key?: string;
  primitive?: boolean;
}

/** A field of an API type: its list strategy (lists only) and the type of its value or items. */
interface FieldSchema {
  list?: ListStrategy;
  type?: TypeSchema;
}

/** The fields of an API type whose patch behaviour is not the default (maps merge, lists replace). */
interface TypeSchema {
  [field: string]: FieldSchema;
}

// The patch strategy belongs to a field of a type (the `patchStrategy`/`patchMergeKey` tags of
// k8s.io/api), not to a field name: `ports` is keyed by containerPort in a Container, by port
// in a ServiceSpec and atomic in an EndpointSlice. Lists not named here are atomic.
const byName: ListStrategy = { key: 'name' };
const byType: ListStrategy = { key: 'type' };
const byIp: ListStrategy = { key: 'ip' };
const conditions: FieldSchema = { list: byType };

const objectMeta: TypeSchema = {
  ownerReferences: { list: { key: 'uid' } },
  finalizers: { list: { primitive: true } },
};
const container: TypeSchema = {
  ports: { list: { key: 'containerPort' } },
  env: { list: byName },
  volumeMounts: { list: { key: 'mountPath' } },
  volumeDevices: { list: { key: 'devicePath' } },
};
const podSpec: TypeSchema = {
  containers: { list: byName, type: container },
  initContainers: { list: byName, type: container },
  ephemeralContainers: { list: byName, type: container },
  volumes: { list: byName },
  imagePullSecrets: { list: byName },
  hostAliases: { list: byIp },
  topologySpreadConstraints: { list: { key: 'topologyKey' } },
  resourceClaims: { list: byName },
  schedulingGates: { list: byName },
};
const podTemplateSpec: TypeSchema = { metadata: { type: objectMeta }, spec: { type: podSpec } };
const withConditions: TypeSchema = { conditions };

function root(spec?: TypeSchema, status: TypeSchema = withConditions, extra: TypeSchema = {}): TypeSchema {
  return {
    metadata: { type: objectMeta },
    ...(spec ? { spec: { type: spec } } : {}),
    status: { type: status },
    ...extra,
  };
}

const workloadSpec: TypeSchema = { template: { type: podTemplateSpec } };
const kinds: Record<string, TypeSchema> = {
  Pod: root(podSpec, {
    conditions,
    podIPs: { list: byIp },
    hostIPs: { list: byIp },
    resourceClaimStatuses: { list: byName },
  }),
  PodTemplate: root(undefined, withConditions, { template: { type: podTemplateSpec } }),
  Deployment: root(workloadSpec),
  ReplicaSet: root(workloadSpec),
  StatefulSet: root(workloadSpec),
  DaemonSet: root(workloadSpec),
  ReplicationController: root(workloadSpec),
  Job: root(workloadSpec),
  CronJob: root({ jobTemplate: { type: { spec: { type: workloadSpec } } } }),
  Service: root({ ports: { list: { key: 'port' } } }),
  // Node spec.taints carries no patch strategy: atomic.
  Node: root({ podCIDRs: { list: { primitive: true } } }, { conditions, addresses: { list: byType } }),
  ServiceAccount: root(undefined, withConditions, { secrets: { list: byName } }),
};
/**
 * Objects whose kind is not known (a bare document): the pod-template places of every
 * workload kind, so pod specs and templates still merge by their keys.
 */
const unknownKind: TypeSchema = root({
  ...podSpec,
  template: { type: podTemplateSpec },
  jobTemplate: { type: { spec: { type: workloadSpec } } },
});

function schemaOfKind(kind: unknown): TypeSchema {
  if (typeof kind !== 'string') return unknownKind;
  return kinds[kind] ?? root();
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (val === null) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

/**
 * The apiserver's error for a `$patch` directive it does not know (only `replace` and `delete`
 * exist for a map): `unknown patch type: explode in map: map[$patch:explode a:b]`. The apiserver
 * answers it with a 500 (the error is not a status error); the emulator answers 400, as it
 * answers every request it refuses with a 4xx.
 */
function unknownDirective(directive: unknown, patch: JsonMap): KubeEmulatorError {
  const shown = typeof directive === 'string' ? directive : `%!s(${goValue(directive)})`;
  return badRequest(`unknown patch type: ${shown} in map: ${goValue(patch)}`);
}

/** Refuses list items whose `$patch` is neither `replace` nor `delete`, as the apiserver does. */
function checkListDirectives(patch: unknown[]): void {
  for (const item of patch) {
    if (!isMap(item) || !('$patch' in item)) continue;
    const directive = item.$patch;
    if (directive === 'replace' || directive === 'delete') continue;
    if (directive === 'merge') throw badRequest('merging lists cannot yet be specified in the patch');
    throw unknownDirective(directive, item);
  }
}

function mergeList(
  original: unknown,
  patch: unknown[],
  key: string,
  itemType: TypeSchema | undefined,
): unknown[] {
  checkListDirectives(patch);
  const result: unknown[] = Array.isArray(original)
    ? original.map((x: unknown): unknown => structuredClone(x))
    : [];
  if (patch.some(p => isMap(p) && p.$patch === 'replace')) {
    return patch.filter(p => !(isMap(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  for (const item of patch) {
    if (!isMap(item)) {
      throw badRequest(
        `unable to find api field in struct for the list element; strategic merge patch requires objects with the merge key "${key}"`,
      );
    }
    const keyValue = item[key];
    const index = result.findIndex(r => isMap(r) && r[key] === keyValue);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (keyValue === undefined)
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (index >= 0) result[index] = mergeMap(result[index], item, itemType);
    else result.push(stripDirectives(item));
  }
  return result;
}

function applyOrder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const keyOf = (x: unknown): unknown => (key ? (isMap(x) ? x[key] : undefined) : x);
  const orderKeys = order.map(o => (key && isMap(o) ? o[key] : o));
  const position = new Map<unknown, number>();
  orderKeys.forEach((k, i) => position.set(k, i));
  const inOrder = list
    .filter(x => position.has(keyOf(x)))
    .sort((a, b) => position.get(keyOf(a))! - position.get(keyOf(b))!);
  const rest = list.filter(x => !position.has(keyOf(x)));
  return [...inOrder, ...rest];
}

/** The `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives of one map. */
interface ListDirectives {
  orders: [string, unknown[]][];
  deletions: [string, unknown[]][];
}

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** Records a list directive; false for a key that is not a directive. Unknown directives are a 400. */
function takeDirective(k: string, v: unknown, directives: ListDirectives): boolean {
  if (k.startsWith(SET_ORDER)) {
    if (Array.isArray(v)) directives.orders.push([k.slice(SET_ORDER.length), v]);
    return true;
  }
  if (k.startsWith(DELETE_FROM)) {
    if (Array.isArray(v)) directives.deletions.push([k.slice(DELETE_FROM.length), v]);
    return true;
  }
  if (k.startsWith('$')) throw badRequest(`unknown patch directive: ${k}`);
  return false;
}

/** A list in a patch: merged by its field's key, merged as a set, or (no strategy) replacing. */
function mergeListField(current: unknown, patch: unknown[], field: FieldSchema | undefined): unknown {
  const strategy = field?.list;
  if (strategy?.key) return mergeList(current, patch, strategy.key, field?.type);
  if (strategy?.primitive) {
    const existing = Array.isArray(current) ? (current as unknown[]) : [];
    return [...existing, ...patch.filter(x => !existing.includes(x))];
  }
  return stripDirectives(patch);
}

/** Merges one field of a patch into `out`: `null` deletes, lists and maps merge, values replace. */
function mergeField(out: JsonMap, k: string, v: unknown, type: TypeSchema | undefined): void {
  if (v === null) {
    delete out[k];
  } else if (Array.isArray(v)) {
    out[k] = mergeListField(out[k], v, type?.[k]);
  } else if (isMap(v)) {
    const merged = mergeMap(out[k], v, type?.[k]?.type);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  } else {
    out[k] = v;
  }
}

/** Applies the list directives once the fields are merged: deletions from sets, then orders. */
function applyListDirectives(out: JsonMap, directives: ListDirectives, type: TypeSchema | undefined): void {
  for (const [field, values] of directives.deletions) {
    if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter(x => !values.includes(x));
  }
  for (const [field, order] of directives.orders) {
    if (Array.isArray(out[field]))
      out[field] = applyOrder(out[field] as unknown[], order, type?.[field]?.list?.key);
  }
}

function mergeMap(original: unknown, patch: JsonMap, type: TypeSchema | undefined): unknown {
  const directive = patch.$patch;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive === 'delete') return undefined;
  if ('$patch' in patch) throw unknownDirective(directive, patch);
  let out: JsonMap = isMap(original) ? { ...original } : {};
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  const directives: ListDirectives = { orders: [], deletions: [] };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || takeDirective(k, v, directives)) continue;
    mergeField(out, k, v, type);
  }
  applyListDirectives(out, directives, type);
  return out;
}

/**
 * Applies a strategic merge patch to a built-in object; returns a new object. The list merge
 * strategies follow the object's kind (`kind` argument, else the original's or the patch's
 * `kind` field).
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, kind?: string): unknown {
  if (!isMap(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const schema = schemaOfKind(kind ?? (isMap(original) ? original.kind : undefined) ?? patch.kind);
  return mergeMap(original, patch, schema) ?? {};
}
