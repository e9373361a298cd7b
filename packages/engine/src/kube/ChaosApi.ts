// SPDX-License-Identifier: Apache-2.0
// The small slice of the Kubernetes API the engine uses for one chaos kind. The pipeline and
// the informer depend only on this interface, so unit tests can run them over an in-memory
// fake and the real engine over HTTPS.
import {
  createListWatch,
  isNotFound,
  resourcePath,
  type KubeConnection,
  type ListWatch,
} from '@chaosplane/kube';
import type { ChaosKind, ChaosObject } from '@chaosplane/sdk';

/** Reads and writes of one chaos kind. Every write carries `metadata.resourceVersion`. */
export interface ChaosApi extends ListWatch<ChaosObject> {
  /** The object, or undefined when it does not exist. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<ChaosObject | undefined>;
  /** Replaces the main resource (metadata and spec); rejects with 409 on a stale resourceVersion. */
  update(obj: ChaosObject, signal: AbortSignal): Promise<ChaosObject>;
  /** Replaces the status through the `/status` subresource; 409 on a stale resourceVersion. */
  updateStatus(obj: ChaosObject, signal: AbortSignal): Promise<ChaosObject>;
}

/** Objects per page when listing. */
const LIST_PAGE_SIZE = 250;

/**
 * A {@link ChaosApi} over HTTPS. With `namespace`, the kind is listed and watched in that
 * namespace only (the operator's namespace-scoped mode, where RBAC allows nothing wider).
 */
export function createChaosApi(connection: KubeConnection, kind: ChaosKind, namespace?: string): ChaosApi {
  const pathOf = (obj: ChaosObject) => resourcePath(kind, obj.metadata.namespace, obj.metadata.name ?? '');
  return {
    ...createListWatch<ChaosObject>(connection, resourcePath(kind, namespace), { pageSize: LIST_PAGE_SIZE }),
    async get(objectNamespace, name, signal) {
      try {
        return await connection.request<ChaosObject>('GET', resourcePath(kind, objectNamespace, name), {
          signal,
        });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    update(obj, signal) {
      return connection.request<ChaosObject>('PUT', pathOf(obj), { body: obj, signal });
    },
    updateStatus(obj, signal) {
      return connection.request<ChaosObject>('PUT', `${pathOf(obj)}/status`, { body: obj, signal });
    },
  };
}
