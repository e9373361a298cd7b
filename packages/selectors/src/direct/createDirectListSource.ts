// SPDX-License-Identifier: Apache-2.0
// Selection by direct API calls, as Chaos Mesh does: one LIST per namespace with the label and
// field selectors applied by the API server, GETs for named pods, namespaces and nodes. The
// operator uses the cache; this path exists for tools without a cache and as the reference the
// property test compares the cache against.
import { ChaosplaneError } from '@chaosplane/core';
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import {
  toNamespaceRecord,
  toNodeRecord,
  toPodRecord,
  type NamespaceRecord,
  type NodeRecord,
  type PodRecord,
} from '../model/records.js';
import type { SelectionSource } from '../selection/SelectionSource.js';

function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

function wrap(what: string, error: unknown): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  const detail = error instanceof ApiException ? `HTTP ${error.code}: ${String(error.body)}` : String(error);
  return new ChaosplaneError('selection', `${what} failed: ${detail}`, { cause: error });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted)
    throw new ChaosplaneError('aborted', 'selection was cancelled', { cause: signal.reason });
}

async function getOrUndefined<T>(
  what: string,
  signal: AbortSignal,
  read: () => Promise<T>,
): Promise<T | undefined> {
  throwIfAborted(signal);
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw wrap(what, error);
  }
}

/** A {@link SelectionSource} that asks the API server on every call. */
export function createDirectListSource(kubeConfig: KubeConfig): SelectionSource {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async listPods(namespace, hints, signal): Promise<PodRecord[]> {
      throwIfAborted(signal);
      try {
        const list = await core.listNamespacedPod({ namespace, ...hints });
        return list.items.map(toPodRecord);
      } catch (error) {
        throw wrap(`listing pods in namespace ${namespace}`, error);
      }
    },
    async getPod(namespace, name, signal): Promise<PodRecord | undefined> {
      const pod = await getOrUndefined(`reading pod ${namespace}/${name}`, signal, () =>
        core.readNamespacedPod({ namespace, name }),
      );
      return pod && toPodRecord(pod);
    },
    async getNamespace(name, signal): Promise<NamespaceRecord | undefined> {
      const namespace = await getOrUndefined(`reading namespace ${name}`, signal, () =>
        core.readNamespace({ name }),
      );
      return namespace && toNamespaceRecord(namespace);
    },
    async getNode(name, signal): Promise<NodeRecord | undefined> {
      const node = await getOrUndefined(`reading node ${name}`, signal, () => core.readNode({ name }));
      return node && toNodeRecord(node);
    },
    async listNodes(query, signal): Promise<NodeRecord[]> {
      throwIfAborted(signal);
      try {
        const list = await core.listNode({ labelSelector: query.labelSelector });
        return list.items.map(toNodeRecord);
      } catch (error) {
        throw wrap('listing nodes', error);
      }
    },
  };
}
