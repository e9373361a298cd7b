// SPDX-License-Identifier: Apache-2.0
// The benchmark's kube-emulator part: run the emulator as a separate process (its CLI), load
// the synthetic cluster through the API, then measure the real list+watch cache (sync time,
// heap it keeps) and selection from it, against direct LIST.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import { createDirectListSource, createPodSelector, createSelectionCache } from '@chaosplane/selectors';
import { createKubeConnection } from '@chaosplane/kube';
import type { BenchCluster } from './fixture.js';
import { SCENARIOS, timeScenarios } from './selection.bench.js';

const gc = (globalThis as { gc?: () => void }).gc;
// Collect after a turn of the event loop, so temporaries of the current tick are not counted.
const heapUsed = async (): Promise<number> => {
  await new Promise(resolve => setTimeout(resolve, 50));
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** Starts `kube-emulator` (packages/kube-emulator/dist/cli.js) on 127.0.0.1:0 and waits for it. */
async function startEmulatorProcess(dir: string): Promise<ChildProcess> {
  const cli = join(import.meta.dirname, '../../../packages/kube-emulator/dist/cli.js');
  const child = spawn(
    process.execPath,
    [cli, '--listen', '127.0.0.1:0', '--kubeconfig', join(dir, 'kubeconfig')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
    child.once('exit', code => reject(new Error(`kube-emulator exited with ${String(code)}`)));
  });
  return child;
}

/** Loads `cluster` into a fresh emulator process and measures the cache and direct LIST. */
export async function runEmulatorBench(cluster: BenchCluster, iterations: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'selectors-bench-'));
  const child = await startEmulatorProcess(dir);
  try {
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(join(dir, 'kubeconfig'));
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const loadStart = performance.now();
    for (const namespace of cluster.namespaces) await core.createNamespace({ body: namespace });
    for (const node of cluster.nodes) await core.createNode({ body: node });
    await inParallel(cluster.pods, 32, async pod => {
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
      `\nkube-emulator (separate process): loaded ${cluster.pods.length} pods in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );

    const before = await heapUsed();
    const connection = createKubeConnection(kubeConfig);
    const cache = createSelectionCache(connection);
    const syncStart = performance.now();
    await cache.start();
    const syncMs = performance.now() - syncStart;
    const after = await heapUsed();
    console.log(`cache sync (paged LIST of pods, namespaces, nodes; watches open): ${syncMs.toFixed(0)} ms`);
    console.log(`heap kept by the synced cache: ${mb(after - before)} for ${cache.store.counts().pods} pods`);
    try {
      await timeScenarios(
        `selection from the list+watch cache over kube-emulator (${iterations} runs each)`,
        cache,
        iterations,
      );
      const direct = createPodSelector(createDirectListSource(connection));
      const scenario = SCENARIOS[1]!;
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await direct.select(scenario.spec, { namespace: 'ns-0', signal: new AbortController().signal });
        samples.push(performance.now() - start);
      }
      samples.sort((a, b) => a - b);
      console.log(
        `\ndirect LIST (one LIST per namespace, server-side selectors), "${scenario.name}": median ${samples[2]!.toFixed(1)} ms`,
      );
    } finally {
      await cache.stop();
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
