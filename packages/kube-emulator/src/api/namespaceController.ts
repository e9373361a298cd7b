// SPDX-License-Identifier: Apache-2.0
/** The namespace controller: a terminating namespace's content is deleted, then the namespace. */
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import { type ApiCore } from './apiCore.js';

/** Namespaced resources with storage of their own (not views such as events.k8s.io Events). */
function namespacedTypes(api: ApiCore): ResourceType[] {
  return api.registry.all().filter(type => type.namespaced && !type.storageOf);
}

/** Objects left in a namespace. */
function remainingIn(api: ApiCore, name: string): number {
  let left = 0;
  for (const type of namespacedTypes(api)) left += api.store.list(api.registry.storageKey(type), name).length;
  return left;
}

/** Deletes everything in a terminating namespace, then finalizes it (once nothing is left). */
export async function syncNamespace(api: ApiCore, name: string): Promise<void> {
  const ns: KubeObject | undefined = api.store.get('namespaces', name)?.obj;
  if (!ns || !ns.metadata.deletionTimestamp) return;
  let remaining = 0;
  for (const type of namespacedTypes(api)) {
    for (const e of api.store.list(api.registry.storageKey(type), name)) {
      remaining++;
      if (!e.obj.metadata.deletionTimestamp) await api.systemDelete(type, name, e.obj.metadata.name!);
    }
  }
  // Re-check once the deletions (and any finalizers) have played out.
  if (remaining > 0 && remainingIn(api, name) > 0) return;
  const fresh = api.store.get('namespaces', name)?.obj;
  if (!fresh) return;
  const next = structuredClone(fresh);
  next.spec = { ...(isMap(next.spec) ? next.spec : {}), finalizers: [] };
  next.status = { phase: 'Terminating' };
  await api.systemUpdate(api.registry.lookup('', 'v1', 'namespaces')!, next);
}
