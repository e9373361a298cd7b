// SPDX-License-Identifier: Apache-2.0
/**
 * The garbage collector: dependents of a removed owner are deleted (or released when another
 * owner remains); an owner deleted with `orphan` releases its dependents first, one deleted with
 * `foregroundDeletion` waits until they are gone.
 */
import { type KubeObject, type ResourceType } from '../types.js';
import { type ApiCore } from './apiCore.js';

/** A stored object and its type, when both still exist. */
function storedWithType(
  api: ApiCore,
  storageKey: string,
  key: string,
): { obj: KubeObject; type: ResourceType } | undefined {
  const obj = api.store.get(storageKey, key)?.obj;
  const type = api.registry.byKey(storageKey);
  return obj && type ? { obj, type } : undefined;
}

/** Deletes or releases the dependents of an owner that left storage. */
export async function collectDependents(api: ApiCore, ownerUid: string): Promise<void> {
  for (const dep of api.store.dependentsOf(ownerUid)) {
    const found = storedWithType(api, dep.storageKey, dep.key);
    if (!found) continue;
    const { obj, type } = found;
    const refs = obj.metadata.ownerReferences ?? [];
    const alive = refs.filter(r => r.uid !== ownerUid && api.store.byUid(r.uid));
    if (alive.length === 0) {
      if (!obj.metadata.deletionTimestamp)
        await api.systemDelete(type, obj.metadata.namespace, obj.metadata.name!);
    } else {
      const next = structuredClone(obj);
      next.metadata.ownerReferences = refs.filter(r => r.uid !== ownerUid);
      await api.systemUpdate(type, next);
    }
  }
}

async function dropFinalizer(
  api: ApiCore,
  type: ResourceType,
  storageKey: string,
  key: string,
  finalizer: string,
): Promise<void> {
  const obj = api.store.get(storageKey, key)?.obj;
  if (!obj) return;
  const next = structuredClone(obj);
  next.metadata.finalizers = (obj.metadata.finalizers ?? []).filter(f => f !== finalizer);
  if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
  await api.systemUpdate(type, next);
}

/** `orphan`: removes the owner from every dependent's ownerReferences, then the finalizer. */
async function orphanDependents(
  api: ApiCore,
  type: ResourceType,
  storageKey: string,
  key: string,
  uid: string,
): Promise<void> {
  for (const dep of api.store.dependentsOf(uid)) {
    const found = storedWithType(api, dep.storageKey, dep.key);
    if (!found) continue;
    const next = structuredClone(found.obj);
    next.metadata.ownerReferences = (found.obj.metadata.ownerReferences ?? []).filter(r => r.uid !== uid);
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    await api.systemUpdate(found.type, next);
  }
  await dropFinalizer(api, type, storageKey, key, 'orphan');
}

/** `foregroundDeletion`: deletes the dependents (in the foreground too); the finalizer goes with the last. */
async function deleteDependentsFirst(
  api: ApiCore,
  type: ResourceType,
  storageKey: string,
  key: string,
  uid: string,
): Promise<void> {
  for (const dep of api.store.dependentsOf(uid)) {
    const found = storedWithType(api, dep.storageKey, dep.key);
    if (found && !found.obj.metadata.deletionTimestamp)
      await api.systemDelete(
        found.type,
        found.obj.metadata.namespace,
        found.obj.metadata.name!,
        'Foreground',
      );
  }
  if (api.store.dependentsOf(uid).length === 0)
    await dropFinalizer(api, type, storageKey, key, 'foregroundDeletion');
}

/** Plays out the deletion of an object being deleted with the orphan or foregroundDeletion finalizer. */
export async function syncDeleting(api: ApiCore, storageKey: string, key: string): Promise<void> {
  const found = storedWithType(api, storageKey, key);
  if (!found || !found.obj.metadata.deletionTimestamp) return;
  const finalizers = found.obj.metadata.finalizers ?? [];
  const uid = found.obj.metadata.uid!;
  if (finalizers.includes('orphan')) await orphanDependents(api, found.type, storageKey, key, uid);
  else if (finalizers.includes('foregroundDeletion'))
    await deleteDependentsFirst(api, found.type, storageKey, key, uid);
}
