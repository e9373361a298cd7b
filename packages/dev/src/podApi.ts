// SPDX-License-Identifier: Apache-2.0
// The pod and node calls the local kubelet makes, over the kube layer.
import { resourcePath, PODS } from '@chaosplane/kube';
import { ChaosplaneError, type KubeClient, type Pod } from '@chaosplane/sdk';

/** Pods and the node, as the local kubelet reads and writes them. */
export interface PodApi {
  read(namespace: string, name: string): Promise<Pod>;
  /** Replaces the pod's status (`/status`); 409 `conflict` on a stale resourceVersion. */
  replaceStatus(pod: Pod): Promise<void>;
  /** Binds an unscheduled pod to a node (`pods/binding`, as kube-scheduler does). */
  bind(namespace: string, name: string, nodeName: string): Promise<void>;
  /** Registers the node unless it exists. */
  ensureNode(nodeName: string, address: string): Promise<void>;
}

/** Creates the {@link PodApi} over `kube`. */
export function createPodApi(kube: KubeClient): PodApi {
  const path = (namespace: string, name: string) => resourcePath(PODS, namespace, name);
  return {
    read: (namespace, name) => kube.request<Pod>('GET', path(namespace, name)),
    async replaceStatus(pod) {
      await kube.request('PUT', `${path(pod.metadata.namespace!, pod.metadata.name!)}/status`, { body: pod });
    },
    async bind(namespace, name, nodeName) {
      await kube.request('POST', `${path(namespace, name)}/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      });
    },
    async ensureNode(nodeName, address) {
      try {
        await kube.request('GET', `/api/v1/nodes/${encodeURIComponent(nodeName)}`);
      } catch (error) {
        if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
        await kube.request('POST', '/api/v1/nodes', {
          body: {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name: nodeName,
              labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux' },
            },
            status: { addresses: [{ type: 'InternalIP', address }] },
          },
        });
      }
    },
  };
}
