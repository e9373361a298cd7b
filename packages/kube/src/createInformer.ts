// SPDX-License-Identifier: Apache-2.0
// A cache of one collection kept current by a reflector: a map of the newest objects by key,
// and a change callback with the previous version.
import { runReflector, type ReflectorOptions } from './runReflector.js';

/** The objects an informer keeps: anything with metadata. */
export interface InformedObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
}

/** A cache of one collection kept current by list + watch. */
export interface Informer<T extends InformedObject> {
  /** The object under `namespace/name` (or `name` when cluster-scoped). */
  get(key: string): T | undefined;
  /** Every key. */
  keys(): string[];
  /** Every object. */
  list(): T[];
  /** Resolves after the first successful list. */
  synced(): Promise<void>;
  /** Starts listing and watching until `signal` aborts; resolves once stopped. */
  run(signal: AbortSignal): Promise<void>;
}

/** Options of {@link createInformer}: the reflector's, with a change callback instead of raw events. */
export interface InformerOptions<T> extends Omit<ReflectorOptions<T>, 'onEvent'> {
  /** Called for every change: the key and the new object (undefined when deleted). */
  onChange(key: string, obj: T | undefined, previous: T | undefined): void;
}

/** The store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function keyOf(obj: InformedObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** Creates an {@link Informer}. */
export function createInformer<T extends InformedObject>(options: InformerOptions<T>): Informer<T> {
  const store = new Map<string, T>();
  let markSynced: () => void = () => {};
  const syncedPromise = new Promise<void>(resolve => (markSynced = resolve));

  const replaceAll = (items: T[]) => {
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const previous = store.get(key);
      store.set(key, item);
      if (previous?.metadata.resourceVersion !== item.metadata.resourceVersion)
        options.onChange(key, item, previous);
    }
    for (const [key, previous] of [...store]) {
      if (!seen.has(key)) {
        store.delete(key);
        options.onChange(key, undefined, previous);
      }
    }
    markSynced();
  };

  return {
    get: key => store.get(key),
    keys: () => [...store.keys()],
    list: () => [...store.values()],
    synced: () => syncedPromise,
    run: signal =>
      runReflector<T>(
        {
          ...options,
          onEvent: event => {
            if (event.type === 'listed') return replaceAll(event.items);
            const key = keyOf(event.object);
            const previous = store.get(key);
            if (event.type === 'deleted') store.delete(key);
            else store.set(key, event.object);
            options.onChange(key, event.type === 'deleted' ? undefined : event.object, previous);
          },
        },
        signal,
      ),
  };
}
