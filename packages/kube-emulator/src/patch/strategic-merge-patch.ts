// SPDX-License-Identifier: Apache-2.0
/**
 * Strategic merge patch for the built-in kinds, covering what kubectl apply, label, annotate
 * and edit send: lists merged by their patch merge key, primitive lists merged as sets,
 * `null` deletes, and the directives `$patch` (replace/delete/merge), `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 *
 * The merge keys follow the `patchMergeKey` tags of the Kubernetes API types served here.
 */
import { badRequest } from '../errors.js';

type JsonMap = Record<string, unknown>;

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Merge strategy for a list field, found from the names of its enclosing fields. */
function listStrategy(path: string[], field: string): { key?: string; primitive?: boolean } | undefined {
  const parent = path[path.length - 1];
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
    case 'env':
    case 'resourceClaims':
      return { key: 'name' };
    case 'secrets':
      return path.length === 0 ? { key: 'name' } : undefined;
    case 'ports':
      return parent === 'spec' ? { key: 'port' } : { key: 'containerPort' };
    case 'volumeMounts':
      return { key: 'mountPath' };
    case 'volumeDevices':
      return { key: 'devicePath' };
    case 'conditions':
    case 'addresses':
      return { key: 'type' };
    case 'ownerReferences':
      return { key: 'uid' };
    case 'taints':
      return { key: 'key' };
    case 'hostAliases':
      return { key: 'ip' };
    case 'topologySpreadConstraints':
      return { key: 'topologyKey' };
    case 'finalizers':
      return parent === 'metadata' ? { primitive: true } : undefined;
    default:
      return undefined;
  }
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

function mergeList(original: unknown, patch: unknown[], key: string, path: string[]): unknown[] {
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
    if (index >= 0) result[index] = mergeMap(result[index], item, path);
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

function mergeMap(original: unknown, patch: JsonMap, path: string[]): unknown {
  const directive = patch.$patch;
  if (directive === 'replace') return stripDirectives(patch);
  if (directive === 'delete') return undefined;
  let out: JsonMap = isMap(original) ? { ...original } : {};
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  const orders: [string, unknown[]][] = [];
  const deletions: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      if (Array.isArray(v)) orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      if (Array.isArray(v)) deletions.push([k.slice('$deleteFromPrimitiveList/'.length), v]);
      continue;
    }
    if (k.startsWith('$')) throw badRequest(`unknown patch directive: ${k}`);
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const strategy = listStrategy(path, k);
      if (strategy?.key) out[k] = mergeList(out[k], v, strategy.key, [...path, k]);
      else if (strategy?.primitive) {
        const existing = Array.isArray(out[k]) ? (out[k] as unknown[]) : [];
        out[k] = [...existing, ...(v as unknown[]).filter(x => !existing.includes(x))];
      } else out[k] = stripDirectives(v);
      continue;
    }
    if (isMap(v)) {
      const merged = mergeMap(out[k], v, [...path, k]);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
      continue;
    }
    out[k] = v;
  }
  for (const [field, values] of deletions) {
    if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter(x => !values.includes(x));
  }
  for (const [field, order] of orders) {
    if (Array.isArray(out[field]))
      out[field] = applyOrder(out[field] as unknown[], order, listStrategy(path, field)?.key);
  }
  return out;
}

/** Applies a strategic merge patch to a built-in object; returns a new object. */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isMap(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return mergeMap(original, patch, []) ?? {};
}
