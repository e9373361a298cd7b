// SPDX-License-Identifier: Apache-2.0
/** Small pure steps on object metadata that several verbs share. */
import { type KubeObject, type ResourceType, isMap } from '../types.js';

/** A time (ms since the epoch) as the apiserver writes timestamps (seconds, `Z`). */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Drops empty metadata maps and lists, as Go's `omitempty` does on the wire. */
export function normalizeMeta(md: KubeObject['metadata']): void {
  for (const key of ['labels', 'annotations'] as const) {
    const v = md[key];
    if (v === null || (isMap(v) && Object.keys(v).length === 0)) delete md[key];
  }
  for (const key of ['finalizers', 'ownerReferences'] as const) {
    const v = md[key];
    if (v === null || (Array.isArray(v) && v.length === 0)) delete md[key];
  }
}

/** Everything but metadata and status: what a spec change compares. */
export function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Whether a type is core/v1 Namespace. */
export function isNamespaceType(type: ResourceType): boolean {
  return type.group === '' && type.plural === 'namespaces';
}

/**
 * A namespace's `spec.finalizers` (the namespace controller's `kubernetes`): a namespace is
 * removed only once they and its metadata finalizers are gone. Empty for every other kind.
 */
export function specFinalizers(type: ResourceType, obj: KubeObject): unknown[] {
  return isNamespaceType(type) && isMap(obj.spec) && Array.isArray(obj.spec.finalizers)
    ? obj.spec.finalizers
    : [];
}

/** Whether an object marked for deletion has nothing left that holds it (it can be removed). */
export function readyToRemove(type: ResourceType, obj: KubeObject): boolean {
  return (
    Boolean(obj.metadata.deletionTimestamp) &&
    (obj.metadata.finalizers ?? []).length === 0 &&
    specFinalizers(type, obj).length === 0
  );
}
