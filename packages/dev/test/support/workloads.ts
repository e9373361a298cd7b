// SPDX-License-Identifier: Apache-2.0
// Manifests and reads the controller tests share.
import type { KubeConnection } from '@chaosplane/kube';
import { createListWatch, runReflector } from '@chaosplane/kube';
import type { Pod } from '@chaosplane/sdk';

/** A Deployment of `replicas` busybox pods labelled app=`name`. */
export function deployment(
  name: string,
  replicas: number,
  extra: {
    image?: string;
    strategy?: object;
    progressDeadlineSeconds?: number;
    minReadySeconds?: number;
  } = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(extra.strategy ? { strategy: extra.strategy } : {}),
      ...(extra.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: extra.progressDeadlineSeconds }
        : {}),
      ...(extra.minReadySeconds !== undefined ? { minReadySeconds: extra.minReadySeconds } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image: extra.image ?? 'busybox:1.36', command: ['sleep', '3600'] }],
        },
      },
    },
  };
}

/** Lists objects of a collection with an optional label selector. */
export async function list<T>(kube: KubeConnection, path: string, labelSelector?: string): Promise<T[]> {
  const answer = await kube.request<{ items: T[] }>(
    'GET',
    path,
    labelSelector ? { query: { labelSelector } } : {},
  );
  return answer.items;
}

/** Pods of a label selector that are not being deleted. */
export async function livePods(kube: KubeConnection, labelSelector: string): Promise<Pod[]> {
  return (await list<Pod>(kube, '/api/v1/namespaces/default/pods', labelSelector)).filter(
    p => !p.metadata.deletionTimestamp,
  );
}

/**
 * Watches the pods of a selector and calls `observe` with every state the watch shows (the
 * pods alive after each event), so a test can assert what held at every moment of a rollout.
 */
export function observePods(
  kube: KubeConnection,
  labelSelector: string,
  observe: (pods: Pod[]) => void,
): () => void {
  const stop = new AbortController();
  const pods = new Map<string, Pod>();
  const report = () => observe([...pods.values()].filter(p => !p.metadata.deletionTimestamp));
  void runReflector<Pod>(
    {
      source: createListWatch<Pod>(kube, '/api/v1/namespaces/default/pods', { query: { labelSelector } }),
      onEvent: event => {
        if (event.type === 'listed') {
          pods.clear();
          for (const p of event.items) pods.set(p.metadata.name!, p);
        } else if (event.type === 'deleted') pods.delete(event.object.metadata.name!);
        else pods.set(event.object.metadata.name!, event.object);
        report();
      },
    },
    stop.signal,
  );
  return () => stop.abort();
}

/** True when the pod's Ready condition is True (the SDK's Pod leaves conditions untyped). */
export function isReady(pod: Pod): boolean {
  const conditions = pod.status?.['conditions'] as { type: string; status: string }[] | undefined;
  return conditions?.some(c => c.type === 'Ready' && c.status === 'True') ?? false;
}
