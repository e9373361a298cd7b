// SPDX-License-Identifier: Apache-2.0
// The small slice of the Kubernetes API the engine uses for one chaos kind. The pipeline and
// the informer depend only on these interfaces, so unit tests can run them over an in-memory
// fake and the real engine over HTTPS.
import type { ChaosObject } from '../../api/ChaosObject.js';
import type { ChaosKind } from '../../plugin/types.js';
import type { KubeClient, WatchEvent } from './createKubeClient.js';
import { isNotFound } from './kubeErrors.js';

/** A list answer: the items and the collection's resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** List and watch one resource collection (all namespaces). */
export interface ListWatchApi<T> {
  /** Lists every object. */
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /**
   * Watches from `resourceVersion`; resolves when the server closes the stream and rejects on
   * errors (a 410 as an HTTP answer rejects with status 410; as a watch `ERROR` event it is
   * passed to `onEvent`).
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

/** Reads and writes of one chaos kind. Every write carries `metadata.resourceVersion`. */
export interface ChaosApi extends ListWatchApi<ChaosObject> {
  /** The object, or undefined when it does not exist. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<ChaosObject | undefined>;
  /** Replaces the main resource (metadata and spec); rejects with 409 on a stale resourceVersion. */
  update(obj: ChaosObject, signal: AbortSignal): Promise<ChaosObject>;
  /** Replaces the status through the `/status` subresource; 409 on a stale resourceVersion. */
  updateStatus(obj: ChaosObject, signal: AbortSignal): Promise<ChaosObject>;
}

/** The API path of a kind's collection, optionally in one namespace. */
export function collectionPath(
  kind: Pick<ChaosKind, 'group' | 'version' | 'plural' | 'namespaced'>,
  namespace?: string,
) {
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${kind.group}/${kind.version}${ns}/${kind.plural}`;
}

/** The API path of one object. */
export function objectPath(
  kind: Pick<ChaosKind, 'group' | 'version' | 'plural' | 'namespaced'>,
  namespace: string | undefined,
  name: string,
) {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

/** Objects per page when listing. */
const LIST_PAGE_SIZE = 250;

/**
 * A {@link ChaosApi} over HTTPS. With `namespace`, the kind is listed and watched in that
 * namespace only (the operator's namespace-scoped mode, where RBAC allows nothing wider).
 */
export function createChaosApi(client: KubeClient, kind: ChaosKind, namespace?: string): ChaosApi {
  const pathOf = (obj: ChaosObject) => objectPath(kind, obj.metadata.namespace, obj.metadata.name ?? '');
  return {
    async list(signal) {
      // Paginated, so a large collection never arrives as one huge answer; an expired
      // continue token (410) rejects and the informer relists from the start.
      const items: ChaosObject[] = [];
      let next: string | undefined;
      let resourceVersion = '';
      do {
        const answer = await client.request<{
          items?: ChaosObject[];
          metadata?: { resourceVersion?: string; continue?: string };
        }>('GET', collectionPath(kind, namespace), {
          signal,
          query: { limit: LIST_PAGE_SIZE, continue: next },
        });
        items.push(...(answer.items ?? []));
        resourceVersion = answer.metadata?.resourceVersion ?? resourceVersion;
        next = answer.metadata?.continue || undefined;
      } while (next);
      return { items, resourceVersion };
    },
    watch(resourceVersion, onEvent, signal) {
      return client.watch<ChaosObject>(
        collectionPath(kind, namespace),
        { resourceVersion, allowWatchBookmarks: true },
        onEvent,
        signal,
      );
    },
    async get(namespace, name, signal) {
      try {
        return await client.request<ChaosObject>('GET', objectPath(kind, namespace, name), { signal });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    update(obj, signal) {
      return client.request<ChaosObject>('PUT', pathOf(obj), { body: obj, signal });
    },
    updateStatus(obj, signal) {
      return client.request<ChaosObject>('PUT', `${pathOf(obj)}/status`, { body: obj, signal });
    },
  };
}
