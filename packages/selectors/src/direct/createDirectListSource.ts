// SPDX-License-Identifier: Apache-2.0
// Selection by direct API calls, as Chaos Mesh does: one LIST per namespace with the label and
// field selectors applied by the API server, GETs for named pods, namespaces and nodes. The
// operator uses the cache; this path exists for tools without a cache and as the reference the
// property test compares the cache against.
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';
import {
  toNamespaceRecord,
  toNodeRecord,
  toPodRecord,
  type KubeObjectLike,
  type NamespaceRecord,
  type NodeRecord,
  type PodRecord,
} from '../model/records.js';
import type { SelectionSource } from '../selection/SelectionSource.js';

function wrap(what: string, error: unknown): ChaosplaneError {
  if (ChaosplaneError.is(error) && error.kind === 'aborted') return error;
  return new ChaosplaneError('selection', `${what} failed: ${(error as Error).message}`, { cause: error });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted)
    throw new ChaosplaneError('aborted', 'selection was cancelled', { cause: signal.reason });
}

type Query = Record<string, string | undefined>;

/** A {@link SelectionSource} that asks the API server on every call. */
export function createDirectListSource(kube: KubeClient): SelectionSource {
  const get = async (
    what: string,
    path: string,
    signal: AbortSignal,
  ): Promise<KubeObjectLike | undefined> => {
    throwIfAborted(signal);
    try {
      return await kube.request<KubeObjectLike>('GET', path, { signal });
    } catch (error) {
      if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
      throw wrap(what, error);
    }
  };
  const list = async (what: string, path: string, query: Query, signal: AbortSignal) => {
    throwIfAborted(signal);
    try {
      return (await kube.request<{ items: KubeObjectLike[] }>('GET', path, { query, signal })).items;
    } catch (error) {
      throw wrap(what, error);
    }
  };
  const ns = (name: string) => `/api/v1/namespaces/${encodeURIComponent(name)}`;
  return {
    async listPods(namespace, hints, signal): Promise<PodRecord[]> {
      const items = await list(
        `listing pods in namespace ${namespace}`,
        `${ns(namespace)}/pods`,
        { ...hints },
        signal,
      );
      return items.map(toPodRecord);
    },
    async getPod(namespace, name, signal): Promise<PodRecord | undefined> {
      const pod = await get(
        `reading pod ${namespace}/${name}`,
        `${ns(namespace)}/pods/${encodeURIComponent(name)}`,
        signal,
      );
      return pod && toPodRecord(pod);
    },
    async getNamespace(name, signal): Promise<NamespaceRecord | undefined> {
      const namespace = await get(`reading namespace ${name}`, ns(name), signal);
      return namespace && toNamespaceRecord(namespace);
    },
    async getNode(name, signal): Promise<NodeRecord | undefined> {
      const node = await get(`reading node ${name}`, `/api/v1/nodes/${encodeURIComponent(name)}`, signal);
      return node && toNodeRecord(node);
    },
    async listNodes(query, signal): Promise<NodeRecord[]> {
      const items = await list(
        'listing nodes',
        '/api/v1/nodes',
        { labelSelector: query.labelSelector },
        signal,
      );
      return items.map(toNodeRecord);
    },
  };
}
