// SPDX-License-Identifier: Apache-2.0
/**
 * The in-memory tables of the object store: entries by storage key and object key (kept in key
 * order for lists), and the indexes by uid and by owner uid that garbage collection reads.
 */
import { type KubeObject } from '../types.js';

/** A stored object and its cached JSON text. */
export interface StoredEntry {
  obj: KubeObject;
  json: string;
}

/** Where an object is stored. */
export interface ObjectRef {
  storageKey: string;
  key: string;
}

/** The tables and their indexes. */
export interface ObjectIndex {
  get(storageKey: string, key: string): StoredEntry | undefined;
  count(storageKey: string): number;
  /** Entries of a table in key order, optionally only one namespace. */
  list(storageKey: string, namespace?: string): StoredEntry[];
  /** Inserts or replaces an entry; returns it and the entry it replaced. */
  set(storageKey: string, key: string, obj: KubeObject): { entry: StoredEntry; prev?: StoredEntry };
  /** Removes an entry; returns it (undefined when there was none). */
  delete(storageKey: string, key: string): StoredEntry | undefined;
  /** The keys of a table (empty for a table that does not exist). */
  keys(storageKey: string): string[];
  /** Forgets a table. */
  dropTable(storageKey: string): void;
  /** The storage keys of all tables, in creation order. */
  storageKeys(): string[];
  byUid(uid: string): ObjectRef | undefined;
  /** Objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): ObjectRef[];
}

interface Table {
  entries: Map<string, StoredEntry>;
  sorted: string[] | undefined;
}

/** The entries of a sorted table whose keys start with `namespace/` (binary search for the first). */
function namespaceEntries(t: Table, sorted: string[], namespace: string): StoredEntry[] {
  const prefix = `${namespace}/`;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    // lo <= mid < hi <= sorted.length.
    if (sorted[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: StoredEntry[] = [];
  for (const key of sorted.slice(lo)) {
    if (!key.startsWith(prefix)) break;
    out.push(t.entries.get(key)!);
  }
  return out;
}

/** `storageKey|key` references of dependents, by owner uid. */
function createOwnerIndex(): {
  update(storageKey: string, key: string, obj: KubeObject | undefined, add: boolean): void;
  dependentsOf(uid: string): ObjectRef[];
} {
  const owners = new Map<string, Set<string>>();
  return {
    update(storageKey, key, obj, add) {
      const refs = obj?.metadata.ownerReferences;
      if (!Array.isArray(refs)) return;
      const ref = `${storageKey}|${key}`;
      for (const owner of refs) {
        if (!owner || typeof owner.uid !== 'string') continue;
        let set = owners.get(owner.uid);
        if (add) {
          if (!set) owners.set(owner.uid, (set = new Set()));
          set.add(ref);
        } else if (set) {
          set.delete(ref);
          if (set.size === 0) owners.delete(owner.uid);
        }
      }
    },
    dependentsOf(uid) {
      const set = owners.get(uid);
      if (!set) return [];
      return [...set].map(ref => {
        const i = ref.indexOf('|');
        return { storageKey: ref.slice(0, i), key: ref.slice(i + 1) };
      });
    },
  };
}

/** Creates empty tables. */
export function createObjectIndex(): ObjectIndex {
  const tables = new Map<string, Table>();
  const uidIndex = new Map<string, ObjectRef>();
  const owners = createOwnerIndex();
  const unindex = (storageKey: string, key: string, prev: StoredEntry): void => {
    owners.update(storageKey, key, prev.obj, false);
    if (prev.obj.metadata.uid) uidIndex.delete(prev.obj.metadata.uid);
  };
  return {
    get: (storageKey, key) => tables.get(storageKey)?.entries.get(key),
    count: storageKey => tables.get(storageKey)?.entries.size ?? 0,
    list(storageKey, namespace) {
      const t = tables.get(storageKey);
      if (!t) return [];
      const sorted = (t.sorted ??= [...t.entries.keys()].sort());
      if (namespace) return namespaceEntries(t, sorted, namespace);
      return sorted.map(k => t.entries.get(k)!);
    },
    set(storageKey, key, obj) {
      let t = tables.get(storageKey);
      if (!t) tables.set(storageKey, (t = { entries: new Map(), sorted: undefined }));
      const prev = t.entries.get(key);
      const entry: StoredEntry = { obj, json: JSON.stringify(obj) };
      if (!prev) t.sorted = undefined;
      t.entries.set(key, entry);
      if (prev) unindex(storageKey, key, prev);
      owners.update(storageKey, key, obj, true);
      if (obj.metadata.uid) uidIndex.set(obj.metadata.uid, { storageKey, key });
      return prev ? { entry, prev } : { entry };
    },
    delete(storageKey, key) {
      const t = tables.get(storageKey);
      const prev = t?.entries.get(key);
      if (!t || !prev) return undefined;
      t.entries.delete(key);
      t.sorted = undefined;
      unindex(storageKey, key, prev);
      return prev;
    },
    keys: storageKey => [...(tables.get(storageKey)?.entries.keys() ?? [])],
    dropTable: storageKey => void tables.delete(storageKey),
    storageKeys: () => [...tables.keys()],
    byUid: uid => uidIndex.get(uid),
    dependentsOf: uid => owners.dependentsOf(uid),
  };
}
