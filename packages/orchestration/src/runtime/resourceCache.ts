// SPDX-License-Identifier: Apache-2.0
// One watched collection: an informer, plus the objects this process wrote itself. The informer
// lags behind our own writes; a read returns the newer of its copy and ours (resourceVersions
// are increasing integers on etcd and the emulator), so a controller never decides twice from a
// state it already changed.
import {
  createInformer,
  createListWatch,
  keyOf,
  resourcePath,
  type Informer,
  type KubeConnection,
  type ResourceType,
} from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';
import type { KubeObject } from '../api/objects.js';

/** A watched collection with read-your-writes. */
export interface ResourceCache<T extends KubeObject = KubeObject> {
  readonly type: ResourceType;
  /** The newest known copy of `namespace/name`. */
  get(key: string): T | undefined;
  /** Every object of `namespace` (every namespace when undefined) whose labels include `labels`. */
  list(namespace: string | undefined, labels?: Record<string, string>): T[];
  /** Remembers an object this process wrote (undefined drops the key: deleted). */
  remember(obj: T | undefined, key?: string): void;
  /** Calls `listener` on every change the watch brings. */
  onChange(listener: (obj: T, previous: T | undefined) => void): void;
  /** Resolves after the first list. */
  synced(): Promise<void>;
  /** Lists and watches until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/** Compares two resourceVersions as integers; 0 when not comparable. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

/** Options of {@link createResourceCache}. */
export interface ResourceCacheOptions {
  kube: KubeConnection;
  type: ResourceType;
  /** Watch this namespace only. */
  namespace?: string;
  /** A label selector for the list and watch. */
  labelSelector?: string;
  log: Logger;
}

/** Creates a {@link ResourceCache}. */
export function createResourceCache<T extends KubeObject>(options: ResourceCacheOptions): ResourceCache<T> {
  const listeners: ((obj: T, previous: T | undefined) => void)[] = [];
  const written = new Map<string, T>();
  const informer: Informer<T> = createInformer<T>({
    source: createListWatch<T>(options.kube, resourcePath(options.type, options.namespace), {
      ...(options.labelSelector ? { query: { labelSelector: options.labelSelector } } : {}),
    }),
    resource: options.type.plural,
    log: options.log,
    watchdogMs: 5 * 60_000,
    onChange: (key, obj, previous) => {
      const mine = written.get(key);
      if (!obj || (mine && !newer(mine.metadata.resourceVersion, obj.metadata.resourceVersion)))
        written.delete(key);
      // A deletion is reported with the last copy seen: listeners map it to its owners all the same.
      const seen = obj ?? previous;
      if (seen) for (const listener of listeners) listener(seen, previous);
    },
  });
  const latest = (key: string): T | undefined => {
    const informed = informer.get(key);
    const mine = written.get(key);
    if (!mine) return informed;
    if (!informed) return mine;
    return newer(mine.metadata.resourceVersion, informed.metadata.resourceVersion) ? mine : informed;
  };
  return {
    type: options.type,
    get: latest,
    list(namespace, labels = {}) {
      const keys = new Set([...informer.keys(), ...written.keys()]);
      const out: T[] = [];
      for (const key of keys) {
        const obj = latest(key);
        if (!obj || (namespace !== undefined && obj.metadata.namespace !== namespace)) continue;
        if (Object.entries(labels).every(([k, v]) => obj.metadata.labels?.[k] === v)) out.push(obj);
      }
      return out;
    },
    remember(obj, key) {
      if (obj) {
        const k = keyOf(obj as never);
        const current = latest(k);
        if (!current || !newer(current.metadata.resourceVersion, obj.metadata.resourceVersion))
          written.set(k, obj);
      } else if (key) written.delete(key);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    synced: () => informer.synced(),
    run: signal => informer.run(signal),
  };
}
