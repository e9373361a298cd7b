// SPDX-License-Identifier: Apache-2.0
/**
 * The controllers of a control plane that API semantics depend on: the namespace controller
 * (deleting a namespace deletes its content, then the namespace), the garbage collector
 * (ownerReferences: background, foreground and orphan deletion) and the clusterrole-aggregation
 * controller (an aggregated ClusterRole's rules from the roles its selectors match). They run
 * asynchronously, as in a real cluster, from a deduplicating queue.
 */
import { syncAggregatedRoles } from '../auth/clusterRoleAggregation.js';
import { objectKey } from '../store/objectStore.js';
import { type KubeObject, type ResourceType } from '../types.js';
import { type ApiCore } from './apiCore.js';
import { createControllerQueue } from './controllerQueue.js';
import { collectDependents, syncDeleting } from './garbageCollector.js';
import { syncNamespace } from './namespaceController.js';

/** The controllers' handle. */
export interface Controllers {
  /** Resolves when the queue is empty (for tests and shutdown). */
  idle(): Promise<void>;
  /**
   * Queues the work a restart would otherwise lose: controllers react to changes, and changes
   * made just before a crash (a namespace marked for deletion, an owner removed) were never
   * played out. Call once storage is loaded and custom resources are served.
   */
  resync(): void;
  stop(): void;
}

/** Whether an object being deleted waits for its dependents (`orphan`, `foregroundDeletion`). */
function waitsForDependents(obj: KubeObject): boolean {
  const finalizers = obj.metadata.finalizers ?? [];
  return finalizers.includes('orphan') || finalizers.includes('foregroundDeletion');
}

/** Starts the controllers on an API core. */
export function startControllers(
  api: ApiCore,
  log: (message: string) => void = () => undefined,
): Controllers {
  const queue = createControllerQueue(log);
  const namespace = (name: string): void => queue.enqueue(`ns/${name}`, () => syncNamespace(api, name));
  const deleting = (storageKey: string, key: string): void =>
    queue.enqueue(`deleting/${storageKey}|${key}`, () => syncDeleting(api, storageKey, key));
  const orphans = (uid: string): void => queue.enqueue(`gc/${uid}`, () => collectDependents(api, uid));
  // Any ClusterRole change may change any aggregated role: all are synced, as the real one does.
  const aggregate = (): void => queue.enqueue('clusterrole-aggregation', () => syncAggregatedRoles(api));
  const isClusterRole = (type: ResourceType): boolean =>
    type.group === 'rbac.authorization.k8s.io' && type.plural === 'clusterroles';

  api.setHooks({
    onWritten(type) {
      if (isClusterRole(type)) aggregate();
    },
    onRemoved(type, obj) {
      if (isClusterRole(type)) aggregate();
      const uid = obj.metadata.uid;
      if (uid) orphans(uid);
      // An owner waiting in foreground deletion may now be free to go.
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const owner = api.store.byUid(ref.uid);
        if (owner) deleting(owner.storageKey, owner.key);
      }
      const ns = obj.metadata.namespace;
      if (type.namespaced && ns && api.store.get('namespaces', ns)?.obj.metadata.deletionTimestamp)
        namespace(ns);
    },
    onDeleting(type, obj) {
      if (type.group === '' && type.plural === 'namespaces') namespace(obj.metadata.name!);
      else if (waitsForDependents(obj))
        deleting(api.registry.storageKey(type), objectKey(obj.metadata.namespace, obj.metadata.name!));
    },
  });

  /** Every stored object of every served resource (not subresource views). */
  function* everyObject(): Generator<{ type: ResourceType; storageKey: string; obj: KubeObject }> {
    for (const type of api.registry.all()) {
      if (type.storageOf) continue;
      const storageKey = api.registry.storageKey(type);
      for (const e of api.store.list(storageKey)) yield { type, storageKey, obj: e.obj };
    }
  }

  function resync(): void {
    aggregate();
    for (const { type, storageKey, obj } of everyObject()) {
      if (type.group === '' && type.plural === 'namespaces') {
        if (obj.metadata.deletionTimestamp) namespace(obj.metadata.name!);
        continue;
      }
      if (obj.metadata.deletionTimestamp && waitsForDependents(obj))
        deleting(storageKey, objectKey(obj.metadata.namespace, obj.metadata.name!));
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const uid = ref?.uid;
        if (typeof uid === 'string' && !api.store.byUid(uid)) orphans(uid);
      }
    }
  }

  return { resync, idle: () => queue.idle(), stop: () => queue.stop() };
}
