// SPDX-License-Identifier: Apache-2.0
// The list+watch loops behind the selection cache: pods, namespaces and nodes, each applying
// its events to the store.
import {
  createListWatch,
  type KubeConnection,
  type ReflectorEvent,
  type ReflectorOptions,
} from '@chaosplane/kube';
import { toNamespaceRecord, toNodeRecord, toPodRecord, type KubeObjectLike } from '../model/records.js';
import type { SelectionCacheOptions } from './createSelectionCache.js';
import type { SelectionStore } from './createSelectionStore.js';

/** What the reflectors of a selection cache need. */
export interface CacheReflectorDeps {
  connection: KubeConnection;
  store: SelectionStore;
  options: SelectionCacheOptions;
  /** The resources to watch: pods, namespaces and, unless left out, nodes. */
  resources: readonly string[];
  /** Called once a full list of `resource` is in the store. */
  onListed(resource: string): void;
}

/** How one resource's events land in the store. */
interface ResourceSink {
  replace(items: KubeObjectLike[]): void;
  upsert(item: KubeObjectLike): void;
  remove(item: KubeObjectLike): void;
}

/** Applies one reflector event to `sink`. */
function applyEvent(sink: ResourceSink, event: ReflectorEvent<KubeObjectLike>): void {
  if (event.type === 'listed') sink.replace(event.items);
  else if (event.type === 'deleted') sink.remove(event.object);
  else sink.upsert(event.object);
}

/**
 * The reflector options of each watched resource, in the scope of `options.namespace` (its
 * pods and its own namespace object only).
 */
export function createCacheReflectors(deps: CacheReflectorDeps): ReflectorOptions<KubeObjectLike>[] {
  const { store, resources } = deps;
  const scope = deps.options.namespace;
  return [
    reflectorFor(
      deps,
      'pods',
      scope === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(scope)}/pods`,
      {
        replace: items => store.replacePods(items.map(toPodRecord)),
        upsert: item => store.upsertPod(toPodRecord(item)),
        remove: item => store.deletePod(item.metadata?.namespace ?? '', item.metadata?.name ?? ''),
      },
    ),
    reflectorFor(
      deps,
      'namespaces',
      '/api/v1/namespaces',
      {
        replace: items => store.replaceNamespaces(items.map(toNamespaceRecord)),
        upsert: item => store.upsertNamespace(toNamespaceRecord(item)),
        remove: item => store.deleteNamespace(item.metadata?.name ?? ''),
      },
      scope === undefined ? undefined : { fieldSelector: `metadata.name=${scope}` },
    ),
    reflectorFor(deps, 'nodes', '/api/v1/nodes', {
      replace: items => store.replaceNodes(items.map(toNodeRecord)),
      upsert: item => store.upsertNode(toNodeRecord(item)),
      remove: item => store.deleteNode(item.metadata?.name ?? ''),
    }),
  ].filter(candidate => resources.includes(candidate.resource ?? ''));
}

/** The reflector of `resource`: lists and watches `path` (with `query`) into `sink`. */
function reflectorFor(
  deps: CacheReflectorDeps,
  resource: string,
  path: string,
  sink: ResourceSink,
  query?: Record<string, string>,
): ReflectorOptions<KubeObjectLike> {
  const { options } = deps;
  return {
    resource,
    source: createListWatch<KubeObjectLike>(deps.connection, path, {
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      ...(query ? { query } : {}),
    }),
    backoffBaseMs: options.backoffInitialMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 30_000,
    watchdogMs: options.staleAfterMs ?? 600_000,
    ...(options.logger ? { log: options.logger } : {}),
    onEvent(event) {
      applyEvent(sink, event);
      if (event.type === 'listed') deps.onListed(resource);
    },
    onRestart(cause, error) {
      if (cause === 'error') options.onError?.(resource, error);
    },
  };
}
