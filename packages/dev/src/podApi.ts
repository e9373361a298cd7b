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
  /** Registers the node unless it exists; sets the port of its kubelet's API when given. */
  ensureNode(nodeName: string, address: string, kubeletPort?: number): Promise<void>;
  /** A namespaced core/v1 object (`secrets`, `configmaps`, `serviceaccounts`), undefined when missing. */
  readCore<T>(plural: string, namespace: string, name: string): Promise<T | undefined>;
  /**
   * A token for a service account from the API server's TokenRequest
   * (`serviceaccounts/NAME/token`), bound to the pod; undefined when the API server does not serve it.
   */
  requestToken(
    namespace: string,
    serviceAccount: string,
    pod: { name: string; uid: string },
    expirationSeconds: number,
    audiences: string[],
  ): Promise<string | undefined>;
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
    ensureNode: (nodeName, address, kubeletPort) => ensureNode(kube, nodeName, address, kubeletPort),
    async readCore<T>(plural: string, namespace: string, name: string) {
      try {
        return await kube.request<T>(
          'GET',
          resourcePath({ group: '', version: 'v1', plural }, namespace, name),
        );
      } catch (error) {
        if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
        throw error;
      }
    },
    requestToken: (namespace, serviceAccount, pod, expirationSeconds, audiences) =>
      requestToken(kube, namespace, serviceAccount, pod, expirationSeconds, audiences),
  };
}

/** The node's status as its kubelet reports it: its address and the port of its API. */
function nodeStatus(address: string, kubeletPort: number | undefined) {
  return {
    addresses: [{ type: 'InternalIP', address }],
    ...(kubeletPort !== undefined ? { daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } } : {}),
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
  };
}

/** {@link PodApi.ensureNode}: creates the node, or updates the status of an existing one. */
async function ensureNode(
  kube: KubeClient,
  nodeName: string,
  address: string,
  kubeletPort?: number,
): Promise<void> {
  const nodePath = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  let node: { metadata: Record<string, unknown>; status?: Record<string, unknown> };
  try {
    node = await kube.request('GET', nodePath);
  } catch (error) {
    if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
    node = await kube.request('POST', '/api/v1/nodes', {
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName,
          labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux' },
        },
      },
    });
  }
  // The kubelet's port changes from run to run: the API server proxies logs and exec to it.
  await kube.request('PUT', `${nodePath}/status`, {
    body: { ...node, status: { ...node.status, ...nodeStatus(address, kubeletPort) } },
  });
}

/** {@link PodApi.requestToken}. */
async function requestToken(
  kube: KubeClient,
  namespace: string,
  serviceAccount: string,
  pod: { name: string; uid: string },
  expirationSeconds: number,
  audiences: string[],
): Promise<string | undefined> {
  try {
    const answer = await kube.request<{ status?: { token?: string } }>(
      'POST',
      `${resourcePath({ group: '', version: 'v1', plural: 'serviceaccounts' }, namespace, serviceAccount)}/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences,
            expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid },
          },
        },
      },
    );
    return answer.status?.token;
  } catch (error) {
    // Not served (404 for the subresource, 405): the caller falls back.
    if (ChaosplaneError.isKind(error, 'not-found') || /405|not allowed|MethodNotAllowed/i.test(String(error)))
      return undefined;
    throw error;
  }
}
