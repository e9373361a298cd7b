// SPDX-License-Identifier: Apache-2.0
// NetworkChaos on real pod networks: the time from creating a partition between two halves of
// PODS busybox pods (50 by default; each pod in its own network namespace, wired by CNI) to every
// record Injected, then from its deletion to the object gone (every namespace restored). The
// embedded control plane of `chaosplane dev` runs it, with the daemon in its own process confined
// to deploy/daemon.yaml's capabilities. Run with `bash bench/networkchaos/run.sh [PODS] [RUNS]`
// (root). Reports medians; nothing here is a timed assertion.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DAEMON_CAPABILITIES, podNetworkUnavailableReason, startDevControlPlane } from '@chaosplane/dev';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import type { ChaosObject } from '@chaosplane/sdk';
import { createSilentLogger } from '@chaosplane/service';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PODS = Number(process.argv[2] ?? 50);
const RUNS = Number(process.argv[3] ?? 5);
const NAMESPACE = 'bench';

async function until<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const missing = containerdUnavailableReason() ?? podNetworkUnavailableReason();
  if (missing) {
    console.error(`cannot run: ${missing}`);
    process.exitCode = 2;
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-bench-net-'));
  const stop = new AbortController();
  const log = createSilentLogger();
  const plane = await startDevControlPlane({
    dir,
    plugins: ['@chaosplane/experiment-networkchaos'],
    pluginsFrom: repo,
    operatorLog: log,
    daemonLog: log,
    log,
    signal: stop.signal,
    daemonCapabilities: DAEMON_CAPABILITIES,
  });
  try {
    const { kube } = plane;
    await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NAMESPACE } } });
    const names = Array.from({ length: PODS }, (_, i) => `busybox-${i}`);
    const started = performance.now();
    for (const [i, name] of names.entries()) {
      await kube.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
        body: {
          metadata: { name, labels: { side: i % 2 === 0 ? 'source' : 'target' } },
          spec: { containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'] }] },
        },
      });
    }
    await plane.kubelet.waitRunning(NAMESPACE, names, 900_000);
    console.log(
      `${PODS} pods running, each with its own network namespace, in ${seconds(performance.now() - started)} s`,
    );

    const collection = `/apis/chaos-mesh.org/v1alpha1/namespaces/${NAMESPACE}/networkchaos`;
    const applied: number[] = [];
    const removed: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `partition-${run}`;
      const t0 = performance.now();
      await kube.request('POST', collection, {
        body: {
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'NetworkChaos',
          metadata: { name },
          spec: {
            action: 'partition',
            mode: 'all',
            selector: { labelSelectors: { side: 'source' } },
            direction: 'to',
            target: { mode: 'all', selector: { labelSelectors: { side: 'target' } } },
          },
        },
      });
      await until(300_000, async () => {
        const obj = await kube.request<ChaosObject>('GET', `${collection}/${name}`);
        const records = obj.status?.experiment?.containerRecords ?? [];
        return records.length === PODS && records.every(r => r.phase === 'Injected') ? true : undefined;
      });
      applied.push(performance.now() - t0);
      const t1 = performance.now();
      await kube.request('DELETE', `${collection}/${name}`);
      await until(300_000, () =>
        kube.request('GET', `${collection}/${name}`).then(
          () => undefined,
          () => true,
        ),
      );
      removed.push(performance.now() - t1);
      console.log(
        `run ${run + 1}: ${PODS} records Injected in ${seconds(applied.at(-1)!)} s, gone in ${seconds(removed.at(-1)!)} s`,
      );
    }
    console.log('');
    console.log(
      `partition on ${PODS} pods, apply → all Injected: median ${seconds(median(applied))} s ` +
        `(min ${seconds(Math.min(...applied))}, max ${seconds(Math.max(...applied))}, ${RUNS} runs)`,
    );
    console.log(
      `delete → every namespace restored and the object gone: median ${seconds(median(removed))} s`,
    );
  } finally {
    stop.abort();
    await plane.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
