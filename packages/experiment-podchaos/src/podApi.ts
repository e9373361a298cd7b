// SPDX-License-Identifier: Apache-2.0
// The pod calls PodChaos makes, over the operator's API connection (ctx.kube). Its errors are
// ChaosplaneErrors: 404 is `not-found` (the engine counts a gone target as recovered), 409
// `conflict`.
import type { KubeClient, Pod } from '@chaosplane/sdk';

const podPath = (namespace: string, name: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;

/** Reads a pod. */
export function readPod(
  kube: KubeClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<Pod> {
  return kube.request<Pod>('GET', podPath(namespace, name), { signal });
}

/** Deletes a pod with a grace period, only if it still has `uid` (a replacement is left alone). */
export async function deletePod(
  kube: KubeClient,
  pod: { namespace: string; name: string; uid: string | undefined; gracePeriodSeconds: number },
  signal: AbortSignal,
): Promise<void> {
  await kube.request('DELETE', podPath(pod.namespace, pod.name), {
    signal,
    query: { gracePeriodSeconds: pod.gracePeriodSeconds },
    body: {
      gracePeriodSeconds: pod.gracePeriodSeconds,
      ...(pod.uid !== undefined ? { preconditions: { uid: pod.uid } } : {}),
    },
  });
}

/** Applies a strategic merge patch to a pod. */
export async function patchPod(
  kube: KubeClient,
  namespace: string,
  name: string,
  patch: object,
  signal: AbortSignal,
): Promise<void> {
  await kube.request('PATCH', podPath(namespace, name), {
    signal,
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
  });
}
