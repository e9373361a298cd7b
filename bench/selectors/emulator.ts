// SPDX-License-Identifier: Apache-2.0
// The benchmark's kube-emulator part: load the synthetic cluster through the API, then measure
// the real list+watch cache (sync time, heap) and selection from it, against direct LIST.
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator } from '@chaosplane/kube-emulator';
import { createDirectListSource, createPodSelector, createSelectionCache } from '@chaosplane/selectors';
import type { BenchCluster } from './fixture.js';
import { SCENARIOS, timeScenarios } from './selection.bench.js';

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

/** Loads `cluster` into a fresh emulator and measures the cache and direct LIST against it. */
export async function runEmulatorBench(cluster: BenchCluster, iterations: number): Promise<void> {
  const emulator = await startKubeEmulator();
  try {
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromString(emulator.kubeConfig);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const loadStart = performance.now();
    for (const namespace of cluster.namespaces) await core.createNamespace({ body: namespace });
    for (const node of cluster.nodes) await core.createNode({ body: node });
    await inParallel(cluster.pods, 16, async pod => {
      const { status, ...withoutStatus } = pod;
      const created = await core.createNamespacedPod({
        namespace: pod.metadata.namespace,
        body: withoutStatus,
      });
      await core.replaceNamespacedPodStatus({
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        body: { ...created, status },
      });
    });
    console.log(
      `\nkube-emulator: loaded ${cluster.pods.length} pods in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );

    let cache: ReturnType<typeof createSelectionCache> | undefined = createSelectionCache(kubeConfig);
    const syncStart = performance.now();
    await cache.start();
    const syncMs = performance.now() - syncStart;
    console.log(`cache sync (paged LIST of pods, namespaces, nodes): ${syncMs.toFixed(0)} ms`);
    try {
      await timeScenarios(
        `selection from the list+watch cache over kube-emulator (${iterations} runs each)`,
        cache,
        iterations,
      );
      const direct = createPodSelector(createDirectListSource(kubeConfig));
      const scenario = SCENARIOS[1];
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await direct.select(scenario.spec, { namespace: 'ns-0', signal: new AbortController().signal });
        samples.push(performance.now() - start);
      }
      samples.sort((a, b) => a - b);
      console.log(
        `\ndirect LIST (one LIST per namespace, server-side selectors), "${scenario.name}": median ${samples[2].toFixed(1)} ms`,
      );
    } finally {
      // The emulator runs in this process, so heap growth across start() mixes its allocations
      // with the cache's. What the cache retains is what is freed when it is dropped.
      const withCache = heapUsed();
      await cache.stop();
      cache = undefined;
      const withoutCache = heapUsed();
      console.log(
        `heap retained by the synced cache (freed when dropped): ${mb(withCache - withoutCache)} for ${cluster.pods.length} pods`,
      );
    }
  } finally {
    await emulator.stop();
  }
}
