// SPDX-License-Identifier: Apache-2.0
// The shared informer cache selection reads from: pods, namespaces and nodes, each kept by its
// own list+watch loop, so a reconcile never LISTs the API server.
import { runReflector, type KubeConnection, type ReflectorOptions } from '@chaosplane/kube';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { KubeObjectLike } from '../model/records.js';
import type { SelectionSource } from '../selection/SelectionSource.js';
import { createCacheReflectors } from './createCacheReflectors.js';
import { createSelectionStore, type SelectionStoreReader } from './createSelectionStore.js';
import { createStoreSource } from './createStoreSource.js';

/** Options of {@link createSelectionCache}. */
export interface SelectionCacheOptions {
  /** Stops the cache when aborted (as {@link SelectionCache.stop}). */
  readonly signal?: AbortSignal;
  /**
   * Namespace-scoped mode: watch pods of this namespace only, and only this namespace object
   * (namespace-scoped RBAC cannot list the others).
   */
  readonly namespace?: string;
  /** Watch nodes (for `nodes`/`nodeSelectors`). Default true; needs cluster-wide `list nodes`. */
  readonly watchNodes?: boolean;
  /** LIST page size. Default 500. */
  readonly pageSize?: number;
  /** Back-off after errors: first delay (default 500 ms), doubled up to `backoffMaxMs` (30 s). */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Re-list when a watch is silent this long (default 10 min; bookmarks count as activity). */
  readonly staleAfterMs?: number;
  /** Server-side watch timeout (default 300 s); the cache re-watches when it expires. */
  readonly watchTimeoutSeconds?: number;
  /** Where recovered errors are logged. */
  readonly logger?: Pick<Logger, 'warn'>;
  /** Called for every error the cache recovers from (after logging). */
  readonly onError?: (resource: string, error: unknown) => void;
}

/** The selection cache: a {@link SelectionSource} kept up to date by watches. */
export interface SelectionCache extends SelectionSource {
  /** Starts the watches; resolves once every resource has been listed once. Idempotent. */
  start(): Promise<void>;
  /** Stops the watches and waits for them to end. Idempotent. */
  stop(): Promise<void>;
  /** True once every resource has been listed once. */
  readonly synced: boolean;
  /** Synchronous read access to the cached objects (tests, benchmarks, tools). */
  readonly store: SelectionStoreReader;
  /** How many full LISTs each resource made (1 after the first sync; more after re-lists). */
  readonly listCounts: Readonly<Record<string, number>>;
}

/** The selection cache's sync state and its watches while they run. */
interface CacheState {
  options: SelectionCacheOptions;
  resources: readonly string[];
  reflectors: ReflectorOptions<KubeObjectLike>[];
  /** Resources listed at least once. */
  listed: Set<string>;
  controller?: AbortController;
  loops?: Promise<void>;
  /** Resolves once every resource has been listed; rejects when stopped before. */
  syncedPromise?: Promise<void>;
  resolveSynced: () => void;
  rejectSynced: (error: unknown) => void;
}

/**
 * Creates the shared selection cache over a cluster.
 * @example
 *   const cache = createSelectionCache(createKubeConnection(kubeConfig), { signal });
 *   await cache.start();
 *   const registry = createSelectorRegistry([createPodSelector(cache), createContainerSelector(cache)]);
 */
export function createSelectionCache(
  connection: KubeConnection,
  options: SelectionCacheOptions = {},
): SelectionCache {
  const store = createSelectionStore();
  const read = createStoreSource(store);
  const resources = options.watchNodes === false ? ['pods', 'namespaces'] : ['pods', 'namespaces', 'nodes'];
  const listCounts: Record<string, number> = {};
  const reflectors = createCacheReflectors({
    connection,
    store,
    options,
    resources,
    onListed(resource) {
      listCounts[resource] = (listCounts[resource] ?? 0) + 1;
      state.listed.add(resource);
      if (resources.every(name => state.listed.has(name))) state.resolveSynced();
    },
  });
  const state: CacheState = {
    options,
    resources,
    reflectors,
    listed: new Set(),
    resolveSynced: () => undefined,
    rejectSynced: () => undefined,
  };

  const cache: SelectionCache = {
    store,
    listCounts,
    get synced() {
      return isSynced(state);
    },
    start: () => startCache(state, cache),
    stop: () => stopCache(state),

    async listPods(namespace, hints, signal) {
      await whenSynced(state, signal);
      return read.listPods(namespace, hints, signal);
    },
    async getPod(namespace, name, signal) {
      await whenSynced(state, signal);
      return read.getPod(namespace, name, signal);
    },
    async getNamespace(name, signal) {
      await whenSynced(state, signal);
      return read.getNamespace(name, signal);
    },
    async getNode(name, signal) {
      await whenSynced(state, signal);
      requireNodes(state);
      return read.getNode(name, signal);
    },
    async listNodes(query, signal) {
      await whenSynced(state, signal);
      requireNodes(state);
      return read.listNodes(query, signal);
    },
  };
  return cache;
}

/** True once every resource has been listed once. */
function isSynced(state: CacheState): boolean {
  return state.resources.every(resource => state.listed.has(resource));
}

/** {@link SelectionCache.start}: starts the reflectors once; `cache` stops with `options.signal`. */
function startCache(state: CacheState, cache: SelectionCache): Promise<void> {
  if (state.syncedPromise !== undefined) return state.syncedPromise;
  state.syncedPromise = new Promise<void>((resolve, reject) => {
    state.resolveSynced = resolve;
    state.rejectSynced = reject;
  });
  // stop() before sync rejects start()'s promise; mark it handled for callers that did not await it.
  state.syncedPromise.catch(() => undefined);
  const controller = new AbortController();
  state.controller = controller;
  const signal = controller.signal;
  const stopSignal = state.options.signal;
  if (stopSignal !== undefined) {
    if (stopSignal.aborted) controller.abort();
    stopSignal.addEventListener('abort', () => void cache.stop(), { once: true });
  }
  state.loops = Promise.all(state.reflectors.map(reflector => runReflector(reflector, signal))).then(
    () => undefined,
  );
  return state.syncedPromise;
}

/** {@link SelectionCache.stop}: stops the reflectors and waits for them to end. */
async function stopCache(state: CacheState): Promise<void> {
  if (state.controller === undefined) return;
  state.controller.abort();
  state.rejectSynced(new ChaosplaneError('aborted', 'the selection cache was stopped before it synced'));
  await state.loops;
}

/** Throws unless the cache watches nodes. */
function requireNodes(state: CacheState): void {
  if (!state.resources.includes('nodes')) {
    throw new ChaosplaneError(
      'selection',
      'node selection needs the selection cache to watch nodes (watchNodes: false)',
    );
  }
}

/**
 * Waits until every resource has been listed: selecting from a cache that has not listed yet
 * would silently select from nothing. Rejects when the cache is not started or stops first, or
 * when `signal` aborts.
 */
async function whenSynced(state: CacheState, signal: AbortSignal): Promise<void> {
  if (isSynced(state)) return;
  const syncedPromise = state.syncedPromise;
  if (syncedPromise === undefined) {
    throw new ChaosplaneError('selection', 'the selection cache is not started; call start() first');
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new ChaosplaneError('aborted', 'selection was cancelled', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    syncedPromise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
