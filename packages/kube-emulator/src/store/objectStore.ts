// SPDX-License-Identifier: Apache-2.0
/**
 * In-memory object storage with one global, increasing resourceVersion. Objects are kept in
 * storage form together with their JSON text, so large lists are answered by joining strings.
 * Every change is handed to the persistence log (when configured) and, once durable, to the
 * watch hub; callers await `durable` before replying.
 */
import { type KubeObject } from '../types.js';
import { type StoredEntry, createObjectIndex } from './objectIndex.js';
import { type PersistRecord, type Persistence } from './persistence.js';
import { type ChangeEvent, type WatchHub } from './watchHub.js';

export { type StoredEntry } from './objectIndex.js';

/** The storage key of an object inside its table: `namespace/name` or `name`. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The store. */
export interface ObjectStore {
  /** Current (last assigned) resourceVersion. */
  readonly resourceVersion: number;
  get(storageKey: string, key: string): StoredEntry | undefined;
  /** Entries of a table in key order, optionally only one namespace. */
  list(storageKey: string, namespace?: string): StoredEntry[];
  /** Inserts or replaces; assigns the next resourceVersion. Resolves when durable. */
  put(storageKey: string, obj: KubeObject): { entry: StoredEntry; durable: Promise<void> };
  /** Removes; the final object gets the deletion's resourceVersion. Resolves when durable. */
  remove(storageKey: string, key: string): { obj: KubeObject; durable: Promise<void> } | undefined;
  /** Finds an object by uid. */
  byUid(uid: string): { storageKey: string; key: string } | undefined;
  /** Keys (`storageKey|key`) of objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): { storageKey: string; key: string }[];
  /** Drops a whole table (a deleted CRD's objects), publishing DELETED events. */
  dropTable(storageKey: string): Promise<void>;
  /** Loads a persisted object without logging it again. */
  restore(storageKey: string, obj: KubeObject): void;
  /** Sets the resourceVersion counter after a restore. */
  restoreResourceVersion(rv: number): void;
  /** All entries, for snapshots. */
  dump(): { resourceVersion: number; records: PersistRecord[] };
  /** Number of objects in a table. */
  count(storageKey: string): number;
}

/** CRDs first, so that a replay registers their resources before their objects. */
function crdsFirst(a: string, b: string): number {
  return a === 'customresourcedefinitions.apiextensions.k8s.io'
    ? -1
    : b === 'customresourcedefinitions.apiextensions.k8s.io'
      ? 1
      : 0;
}

/**
 * Hands a change to the log and, once it is durable, to the watch hub (without a log, at once);
 * folds the log into a snapshot when the log says it is due.
 */
function committer(
  hub: WatchHub,
  persistence: Persistence | undefined,
  onError: ((message: string) => void) | undefined,
  dump: () => { resourceVersion: number; records: PersistRecord[] },
): (record: PersistRecord, event: ChangeEvent) => Promise<void> {
  function compact(): void {
    try {
      persistence?.compact(dump);
    } catch (error) {
      // The log still holds everything; compaction is retried after later writes.
      onError?.(`compaction failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return (record, event) => {
    if (!persistence) {
      hub.publish(event);
      return Promise.resolve();
    }
    const durable = persistence.append(record);
    // Watchers see a change only once it is durable, as with etcd.
    return durable.then(() => {
      hub.publish(event);
      if (persistence.logRecords > 0) setImmediate(compact);
    });
  };
}

/** Creates the store. */
export function createObjectStore(
  hub: WatchHub,
  persistence?: Persistence,
  onError?: (message: string) => void,
): ObjectStore {
  let rv = 0;
  const index = createObjectIndex();

  const commit = committer(hub, persistence, onError, () => store.dump());

  const store: ObjectStore = {
    get resourceVersion() {
      return rv;
    },
    get: (storageKey, key) => index.get(storageKey, key),
    count: storageKey => index.count(storageKey),
    list: (storageKey, namespace) => index.list(storageKey, namespace),
    put(storageKey, obj) {
      rv++;
      obj.metadata.resourceVersion = String(rv);
      const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
      const { entry, prev } = index.set(storageKey, key, obj);
      const event: ChangeEvent = prev
        ? { type: 'MODIFIED', storageKey, rv, obj, prev: prev.obj }
        : { type: 'ADDED', storageKey, rv, obj };
      return { entry, durable: commit({ t: 'put', s: storageKey, k: key, rv, o: obj }, event) };
    },
    remove(storageKey, key) {
      const prev = index.delete(storageKey, key);
      if (!prev) return undefined;
      rv++;
      const obj: KubeObject = {
        ...prev.obj,
        metadata: { ...prev.obj.metadata, resourceVersion: String(rv) },
      };
      const durable = commit(
        { t: 'del', s: storageKey, k: key, rv },
        { type: 'DELETED', storageKey, rv, obj },
      );
      return { obj, durable };
    },
    byUid: uid => index.byUid(uid),
    dependentsOf: uid => index.dependentsOf(uid),
    async dropTable(storageKey) {
      const waits: Promise<void>[] = [];
      for (const key of index.keys(storageKey)) {
        const removed = store.remove(storageKey, key);
        if (removed) waits.push(removed.durable);
      }
      index.dropTable(storageKey);
      await Promise.all(waits);
    },
    restore(storageKey, obj) {
      index.set(storageKey, objectKey(obj.metadata.namespace, obj.metadata.name!), obj);
      rv = Math.max(rv, Number(obj.metadata.resourceVersion) || 0);
    },
    restoreResourceVersion(value) {
      rv = Math.max(rv, value);
    },
    dump() {
      const records: PersistRecord[] = [];
      for (const s of index.storageKeys().sort(crdsFirst)) {
        for (const k of index.keys(s)) {
          const e = index.get(s, k)!;
          records.push({ t: 'put', s, k, rv: Number(e.obj.metadata.resourceVersion), o: e.obj });
        }
      }
      return { resourceVersion: rv, records };
    },
  };
  return store;
}
