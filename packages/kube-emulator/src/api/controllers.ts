// SPDX-License-Identifier: Apache-2.0
/**
 * The controllers of a control plane that API semantics depend on: the namespace controller
 * (deleting a namespace deletes its content, then the namespace) and the garbage collector
 * (ownerReferences: background, foreground and orphan deletion). They run asynchronously, as
 * in a real cluster, from a deduplicating queue.
 */
import { objectKey } from '../store/objectStore.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import { type ApiCore } from './apiCore.js';

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

/** Starts the controllers on an API core. */
export function startControllers(
  api: ApiCore,
  log: (message: string) => void = () => undefined,
): Controllers {
  const queue = new Map<string, () => Promise<void>>();
  let running = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  function enqueue(id: string, work: () => Promise<void>): void {
    if (stopped) return;
    queue.set(id, work);
    if (!running) {
      running = true;
      setImmediate(() => void drain());
    }
  }

  async function drain(): Promise<void> {
    while (queue.size > 0 && !stopped) {
      const [id, work] = queue.entries().next().value as [string, () => Promise<void>];
      queue.delete(id);
      try {
        await work();
      } catch (error) {
        log(`controller ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    running = false;
    for (const w of idleWaiters) w();
    idleWaiters = [];
  }

  function typeOfStorage(storageKey: string): ResourceType | undefined {
    return api.registry.byKey(storageKey);
  }

  function stored(storageKey: string, key: string): KubeObject | undefined {
    return api.store.get(storageKey, key)?.obj;
  }

  /** Namespace controller: delete everything in a terminating namespace, then finalize it. */
  async function syncNamespace(name: string): Promise<void> {
    const ns = stored('namespaces', name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const type of api.registry.all()) {
      if (!type.namespaced || type.storageOf) continue;
      const key = api.registry.storageKey(type);
      for (const e of api.store.list(key, name)) {
        remaining++;
        if (!e.obj.metadata.deletionTimestamp) await api.systemDelete(type, name, e.obj.metadata.name!);
      }
    }
    if (remaining > 0) {
      // Re-check once the deletions (and any finalizers) have played out.
      let left = 0;
      for (const type of api.registry.all())
        if (type.namespaced && !type.storageOf)
          left += api.store.list(api.registry.storageKey(type), name).length;
      if (left > 0) return;
    }
    const fresh = stored('namespaces', name);
    if (!fresh) return;
    const next = structuredClone(fresh);
    next.spec = { ...(isMap(next.spec) ? next.spec : {}), finalizers: [] };
    next.status = { phase: 'Terminating' };
    await api.systemUpdate(api.registry.lookup('', 'v1', 'namespaces')!, next);
  }

  /** GC for one owner that left storage: delete or release its dependents. */
  async function collectDependents(ownerUid: string): Promise<void> {
    for (const dep of api.store.dependentsOf(ownerUid)) {
      const obj = stored(dep.storageKey, dep.key);
      const type = typeOfStorage(dep.storageKey);
      if (!obj || !type) continue;
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

  /** Objects being deleted with the orphan or foregroundDeletion finalizer. */
  async function syncDeleting(storageKey: string, key: string): Promise<void> {
    const obj = stored(storageKey, key);
    const type = typeOfStorage(storageKey);
    if (!obj || !type || !obj.metadata.deletionTimestamp) return;
    const finalizers = obj.metadata.finalizers ?? [];
    const uid = obj.metadata.uid!;
    if (finalizers.includes('orphan')) {
      for (const dep of api.store.dependentsOf(uid)) {
        const d = stored(dep.storageKey, dep.key);
        const dType = typeOfStorage(dep.storageKey);
        if (!d || !dType) continue;
        const next = structuredClone(d);
        next.metadata.ownerReferences = (d.metadata.ownerReferences ?? []).filter(r => r.uid !== uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        await api.systemUpdate(dType, next);
      }
      await dropFinalizer(type, storageKey, key, 'orphan');
      return;
    }
    if (finalizers.includes('foregroundDeletion')) {
      const deps = api.store.dependentsOf(uid);
      for (const dep of deps) {
        const d = stored(dep.storageKey, dep.key);
        const dType = typeOfStorage(dep.storageKey);
        if (d && dType && !d.metadata.deletionTimestamp)
          await api.systemDelete(dType, d.metadata.namespace, d.metadata.name!, 'Foreground');
      }
      if (api.store.dependentsOf(uid).length === 0)
        await dropFinalizer(type, storageKey, key, 'foregroundDeletion');
    }
  }

  async function dropFinalizer(
    type: ResourceType,
    storageKey: string,
    key: string,
    finalizer: string,
  ): Promise<void> {
    const obj = stored(storageKey, key);
    if (!obj) return;
    const next = structuredClone(obj);
    next.metadata.finalizers = (obj.metadata.finalizers ?? []).filter(f => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    await api.systemUpdate(type, next);
  }

  api.setHooks({
    onRemoved(type, obj) {
      const uid = obj.metadata.uid;
      if (uid) enqueue(`gc/${uid}`, () => collectDependents(uid));
      // An owner waiting in foreground deletion may now be free to go.
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const owner = api.store.byUid(ref.uid);
        if (owner)
          enqueue(`deleting/${owner.storageKey}|${owner.key}`, () =>
            syncDeleting(owner.storageKey, owner.key),
          );
      }
      const ns = obj.metadata.namespace;
      if (type.namespaced && ns) {
        const nsObj = stored('namespaces', ns);
        if (nsObj?.metadata.deletionTimestamp) enqueue(`ns/${ns}`, () => syncNamespace(ns));
      }
    },
    onDeleting(type, obj) {
      const storageKey = api.registry.storageKey(type);
      const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
      if (type.group === '' && type.plural === 'namespaces') {
        const name = obj.metadata.name!;
        enqueue(`ns/${name}`, () => syncNamespace(name));
        return;
      }
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion')) {
        enqueue(`deleting/${storageKey}|${key}`, () => syncDeleting(storageKey, key));
      }
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
    for (const { type, storageKey, obj } of everyObject()) {
      const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
      if (type.group === '' && type.plural === 'namespaces') {
        const name = obj.metadata.name!;
        if (obj.metadata.deletionTimestamp) enqueue(`ns/${name}`, () => syncNamespace(name));
        continue;
      }
      const finalizers = obj.metadata.finalizers ?? [];
      if (
        obj.metadata.deletionTimestamp &&
        (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion'))
      ) {
        enqueue(`deleting/${storageKey}|${key}`, () => syncDeleting(storageKey, key));
      }
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const uid = ref?.uid;
        if (typeof uid === 'string' && !api.store.byUid(uid))
          enqueue(`gc/${uid}`, () => collectDependents(uid));
      }
    }
  }

  return {
    resync,
    idle() {
      if (!running && queue.size === 0) return Promise.resolve();
      return new Promise(resolve => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      queue.clear();
      for (const w of idleWaiters) w();
      idleWaiters = [];
    },
  };
}
