// SPDX-License-Identifier: Apache-2.0
/**
 * In-memory object storage with one global, increasing resourceVersion. Objects are kept in
 * storage form together with their JSON text, so large lists are answered by joining strings.
 * Every change is handed to the persistence log (when configured) and, once durable, to the
 * watch hub; callers await `durable` before replying.
 */
import { type KubeObject } from '../types.js';
import { type PersistRecord, type Persistence } from './persistence.js';
import { type ChangeEvent, type WatchHub } from './watchHub.js';

/** A stored object and its cached JSON text. */
export interface StoredEntry {
  obj: KubeObject;
  json: string;
}

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

interface Table {
  entries: Map<string, StoredEntry>;
  sorted: string[] | undefined;
}

/** Creates the store. */
export function createObjectStore(
  hub: WatchHub,
  persistence?: Persistence,
  onError?: (message: string) => void,
): ObjectStore {
  let rv = 0;
  const tables = new Map<string, Table>();
  const uidIndex = new Map<string, { storageKey: string; key: string }>();
  const ownerIndex = new Map<string, Set<string>>();

  function table(storageKey: string): Table {
    let t = tables.get(storageKey);
    if (!t) tables.set(storageKey, (t = { entries: new Map(), sorted: undefined }));
    return t;
  }

  function indexOwners(storageKey: string, key: string, obj: KubeObject | undefined, add: boolean): void {
    const refs = obj?.metadata.ownerReferences;
    if (!Array.isArray(refs)) return;
    const ref = `${storageKey}|${key}`;
    for (const owner of refs) {
      if (!owner || typeof owner.uid !== 'string') continue;
      let set = ownerIndex.get(owner.uid);
      if (add) {
        if (!set) ownerIndex.set(owner.uid, (set = new Set()));
        set.add(ref);
      } else if (set) {
        set.delete(ref);
        if (set.size === 0) ownerIndex.delete(owner.uid);
      }
    }
  }

  function compact(): void {
    try {
      persistence?.compact(() => store.dump());
    } catch (error) {
      // The log still holds everything; compaction is retried after later writes.
      onError?.(`compaction failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function commit(record: PersistRecord, event: ChangeEvent): Promise<void> {
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
  }

  function setEntry(
    storageKey: string,
    key: string,
    obj: KubeObject,
  ): { entry: StoredEntry; prev?: StoredEntry } {
    const t = table(storageKey);
    const prev = t.entries.get(key);
    const entry: StoredEntry = { obj, json: JSON.stringify(obj) };
    if (!prev) t.sorted = undefined;
    t.entries.set(key, entry);
    if (prev) {
      indexOwners(storageKey, key, prev.obj, false);
      if (prev.obj.metadata.uid) uidIndex.delete(prev.obj.metadata.uid);
    }
    indexOwners(storageKey, key, obj, true);
    if (obj.metadata.uid) uidIndex.set(obj.metadata.uid, { storageKey, key });
    return prev ? { entry, prev } : { entry };
  }

  const store: ObjectStore = {
    get resourceVersion() {
      return rv;
    },
    get(storageKey, key) {
      return tables.get(storageKey)?.entries.get(key);
    },
    count(storageKey) {
      return tables.get(storageKey)?.entries.size ?? 0;
    },
    list(storageKey, namespace) {
      const t = tables.get(storageKey);
      if (!t) return [];
      if (!t.sorted) t.sorted = [...t.entries.keys()].sort();
      const out: StoredEntry[] = [];
      if (namespace) {
        const prefix = `${namespace}/`;
        // Binary search the first key of the namespace; keys are sorted.
        let lo = 0;
        let hi = t.sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (t.sorted[mid] < prefix) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < t.sorted.length && t.sorted[i].startsWith(prefix); i++) {
          out.push(t.entries.get(t.sorted[i])!);
        }
        return out;
      }
      for (const k of t.sorted) out.push(t.entries.get(k)!);
      return out;
    },
    put(storageKey, obj) {
      rv++;
      obj.metadata.resourceVersion = String(rv);
      const key = objectKey(obj.metadata.namespace, obj.metadata.name!);
      const { entry, prev } = setEntry(storageKey, key, obj);
      const event: ChangeEvent = prev
        ? { type: 'MODIFIED', storageKey, rv, obj, prev: prev.obj }
        : { type: 'ADDED', storageKey, rv, obj };
      return { entry, durable: commit({ t: 'put', s: storageKey, k: key, rv, o: obj }, event) };
    },
    remove(storageKey, key) {
      const t = tables.get(storageKey);
      const prev = t?.entries.get(key);
      if (!t || !prev) return undefined;
      rv++;
      t.entries.delete(key);
      t.sorted = undefined;
      indexOwners(storageKey, key, prev.obj, false);
      if (prev.obj.metadata.uid) uidIndex.delete(prev.obj.metadata.uid);
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
    byUid(uid) {
      return uidIndex.get(uid);
    },
    dependentsOf(uid) {
      const set = ownerIndex.get(uid);
      if (!set) return [];
      return [...set].map(ref => {
        const i = ref.indexOf('|');
        return { storageKey: ref.slice(0, i), key: ref.slice(i + 1) };
      });
    },
    async dropTable(storageKey) {
      const t = tables.get(storageKey);
      if (!t) return;
      const waits: Promise<void>[] = [];
      for (const key of [...t.entries.keys()]) {
        const removed = store.remove(storageKey, key);
        if (removed) waits.push(removed.durable);
      }
      tables.delete(storageKey);
      await Promise.all(waits);
    },
    restore(storageKey, obj) {
      setEntry(storageKey, objectKey(obj.metadata.namespace, obj.metadata.name!), obj);
      rv = Math.max(rv, Number(obj.metadata.resourceVersion) || 0);
    },
    restoreResourceVersion(value) {
      rv = Math.max(rv, value);
    },
    dump() {
      const records: PersistRecord[] = [];
      // CRDs first so a replay registers their resources before their objects.
      const keys = [...tables.keys()].sort((a, b) =>
        a === 'customresourcedefinitions.apiextensions.k8s.io'
          ? -1
          : b === 'customresourcedefinitions.apiextensions.k8s.io'
            ? 1
            : 0,
      );
      for (const s of keys) {
        for (const [k, e] of tables.get(s)!.entries) {
          records.push({ t: 'put', s, k, rv: Number(e.obj.metadata.resourceVersion), o: e.obj });
        }
      }
      return { resourceVersion: rv, records };
    },
  };
  return store;
}
