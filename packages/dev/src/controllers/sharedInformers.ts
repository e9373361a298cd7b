// SPDX-License-Identifier: Apache-2.0
// One informer per collection, shared by every controller that watches it (client-go's shared
// informer factory): @chaosplane/kube's informer (list + watch, relist, back-off, watchdog) with
// its change callback fanned out to each subscriber.
import {
  createInformer,
  createListWatch,
  type Informer,
  type InformedObject,
  type KubeConnection,
} from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';

/** A change of one object: the new object (undefined when deleted) and the one before. */
export type ChangeHandler<T> = (obj: T | undefined, previous: T | undefined) => void;

/** An informer several controllers read and subscribe to. */
export interface SharedInformer<T extends InformedObject> {
  /** The cache. */
  readonly store: Informer<T>;
  /** Calls `handler` for every change from now on (and for every object of the first list). */
  subscribe(handler: ChangeHandler<T>): void;
}

/** The collections the dev controllers watch, each informed once. */
export interface SharedInformers {
  /** The informer of the collection at `path` (`/api/v1/pods`), created on first use. */
  get<T extends InformedObject>(path: string): SharedInformer<T>;
  /** Starts every informer asked for so far; resolves once all have stopped. */
  run(signal: AbortSignal): Promise<void>;
  /** Resolves once every informer asked for so far has listed. */
  synced(): Promise<void>;
}

/** Creates the shared informers over `kube`. */
export function createSharedInformers(kube: KubeConnection, log: Logger): SharedInformers {
  const informers = new Map<string, SharedInformer<InformedObject>>();
  return {
    get<T extends InformedObject>(path: string): SharedInformer<T> {
      let shared = informers.get(path) as SharedInformer<T> | undefined;
      if (shared === undefined) {
        const handlers: ChangeHandler<T>[] = [];
        const store = createInformer<T>({
          source: createListWatch<T>(kube, path),
          resource: path,
          log,
          onChange: (_key, obj, previous) => {
            for (const handler of handlers) handler(obj, previous);
          },
        });
        shared = { store, subscribe: handler => void handlers.push(handler) };
        informers.set(path, shared as unknown as SharedInformer<InformedObject>);
      }
      return shared;
    },
    async run(signal) {
      await Promise.all([...informers.values()].map(shared => shared.store.run(signal)));
    },
    async synced() {
      await Promise.all([...informers.values()].map(shared => shared.store.synced()));
    },
  };
}
