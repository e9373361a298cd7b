// SPDX-License-Identifier: Apache-2.0
// The shared informer cache selection reads from: pods, namespaces and nodes, each kept by its
// own list+watch loop, so a reconcile never LISTs the API server.
import {
  createListWatch,
  runReflector,
  type KubeConnection,
  type ReflectorEvent,
  type ReflectorOptions,
} from '@chaosplane/kube';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { toNamespaceRecord, toNodeRecord, toPodRecord, type KubeObjectLike } from '../model/records.js';
import type { SelectionSource } from '../selection/SelectionSource.js';
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

/** How one resource's events land in the store. */
interface ResourceSink {
  replace(items: KubeObjectLike[]): void;
  upsert(item: KubeObjectLike): void;
  remove(item: KubeObjectLike): void;
}

function applyEvent(sink: ResourceSink, event: ReflectorEvent<KubeObjectLike>): void {
  if (event.type === 'listed') sink.replace(event.items);
  else if (event.type === 'deleted') sink.remove(event.object);
  else sink.upsert(event.object);
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
  const scope = options.namespace;
  const pageSize = options.pageSize ?? 500;
  const resources = options.watchNodes === false ? ['pods', 'namespaces'] : ['pods', 'namespaces', 'nodes'];
  const listed = new Set<string>();
  const listCounts: Record<string, number> = {};
  let controller: AbortController | undefined;
  let loops: Promise<void> | undefined;
  let syncedPromise: Promise<void> | undefined;
  let resolveSynced: () => void = () => undefined;
  let rejectSynced: (error: unknown) => void = () => undefined;

  const listWatch = (path: string, query?: Record<string, string>) =>
    createListWatch<KubeObjectLike>(connection, path, {
      pageSize,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      ...(query ? { query } : {}),
    });
  const reflector = (resource: string, path: string, sink: ResourceSink, query?: Record<string, string>) => {
    const reflectorOptions: ReflectorOptions<KubeObjectLike> = {
      resource,
      source: listWatch(path, query),
      backoffBaseMs: options.backoffInitialMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      watchdogMs: options.staleAfterMs ?? 600_000,
      ...(options.logger ? { log: options.logger } : {}),
      onEvent(event) {
        applyEvent(sink, event);
        if (event.type !== 'listed') return;
        listCounts[resource] = (listCounts[resource] ?? 0) + 1;
        listed.add(resource);
        if (resources.every(name => listed.has(name))) resolveSynced();
      },
      onRestart(cause, error) {
        if (cause === 'error') options.onError?.(resource, error);
      },
    };
    return reflectorOptions;
  };

  const reflectors: ReflectorOptions<KubeObjectLike>[] = [
    reflector(
      'pods',
      scope === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(scope)}/pods`,
      {
        replace: items => store.replacePods(items.map(toPodRecord)),
        upsert: item => store.upsertPod(toPodRecord(item)),
        remove: item => store.deletePod(item.metadata?.namespace ?? '', item.metadata?.name ?? ''),
      },
    ),
    reflector(
      'namespaces',
      '/api/v1/namespaces',
      {
        replace: items => store.replaceNamespaces(items.map(toNamespaceRecord)),
        upsert: item => store.upsertNamespace(toNamespaceRecord(item)),
        remove: item => store.deleteNamespace(item.metadata?.name ?? ''),
      },
      scope === undefined ? undefined : { fieldSelector: `metadata.name=${scope}` },
    ),
    reflector('nodes', '/api/v1/nodes', {
      replace: items => store.replaceNodes(items.map(toNodeRecord)),
      upsert: item => store.upsertNode(toNodeRecord(item)),
      remove: item => store.deleteNode(item.metadata?.name ?? ''),
    }),
  ].filter(candidate => resources.includes(candidate.resource ?? ''));

  const cache: SelectionCache = {
    store,
    listCounts,
    get synced() {
      return resources.every(resource => listed.has(resource));
    },
    start() {
      if (syncedPromise !== undefined) return syncedPromise;
      syncedPromise = new Promise<void>((resolve, reject) => {
        resolveSynced = resolve;
        rejectSynced = reject;
      });
      // stop() before sync rejects start()'s promise; mark it handled for callers that did not await it.
      syncedPromise.catch(() => undefined);
      controller = new AbortController();
      const signal = controller.signal;
      if (options.signal !== undefined) {
        if (options.signal.aborted) controller.abort();
        options.signal.addEventListener('abort', () => void cache.stop(), { once: true });
      }
      loops = Promise.all(reflectors.map(reflector => runReflector(reflector, signal))).then(() => undefined);
      return syncedPromise;
    },
    async stop() {
      if (controller === undefined) return;
      controller.abort();
      rejectSynced(new ChaosplaneError('aborted', 'the selection cache was stopped before it synced'));
      await loops;
    },

    async listPods(namespace, hints, signal) {
      await whenSynced(signal);
      return read.listPods(namespace, hints, signal);
    },
    async getPod(namespace, name, signal) {
      await whenSynced(signal);
      return read.getPod(namespace, name, signal);
    },
    async getNamespace(name, signal) {
      await whenSynced(signal);
      return read.getNamespace(name, signal);
    },
    async getNode(name, signal) {
      await whenSynced(signal);
      requireNodes();
      return read.getNode(name, signal);
    },
    async listNodes(query, signal) {
      await whenSynced(signal);
      requireNodes();
      return read.listNodes(query, signal);
    },
  };

  function requireNodes(): void {
    if (!resources.includes('nodes')) {
      throw new ChaosplaneError(
        'selection',
        'node selection needs the selection cache to watch nodes (watchNodes: false)',
      );
    }
  }

  // Selecting from a cache that has not listed yet would silently select from nothing.
  async function whenSynced(signal: AbortSignal): Promise<void> {
    if (cache.synced) return;
    if (syncedPromise === undefined) {
      throw new ChaosplaneError('selection', 'the selection cache is not started; call start() first');
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void =>
        reject(new ChaosplaneError('aborted', 'selection was cancelled', { cause: signal.reason }));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      syncedPromise!.then(
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

  return cache;
}
