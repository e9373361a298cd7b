// SPDX-License-Identifier: Apache-2.0
// Selection benchmark: 10,000 pods in 100 namespaces. Run with `bash bench/selectors/run.sh`
// (add `--emulator` to also fill kube-emulator and measure the real list+watch cache).
// Target: ≤ 50 ms median per selection from the cache. Reports medians, not timed assertions.
import { performance } from 'node:perf_hooks';
import {
  createPodSelector,
  createSelectionStore,
  createStoreSource,
  toNamespaceRecord,
  toNodeRecord,
  toPodRecord,
  type SelectionSource,
} from '@chaosplane/selectors';
import type { PodSelector } from '@chaosplane/sdk';
import { makeCluster } from './fixture.js';
import { runEmulatorBench } from './emulator.js';

const gc = (globalThis as { gc?: () => void }).gc;

// Collect after a turn of the event loop: temporaries still referenced from the current
// stack survive a gc() in the same tick and would be counted.
async function heapUsed(): Promise<number> {
  await new Promise(resolve => setTimeout(resolve, 50));
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const SCENARIOS: { name: string; spec: PodSelector; explain?: boolean }[] = [
  {
    name: 'one namespace, label, mode all',
    spec: { selector: { namespaces: ['ns-42'], labelSelectors: { app: 'web' } }, mode: 'all' },
  },
  {
    name: '100 namespaces, label, fixed-percent 10',
    spec: {
      selector: {
        namespaces: Array.from({ length: 100 }, (_, i) => `ns-${i}`),
        labelSelectors: { app: 'web' },
      },
      mode: 'fixed-percent',
      value: '10',
    },
  },
  {
    name: '100 namespaces, expression+annotation+field+nodeSelectors, all',
    spec: {
      selector: {
        namespaces: Array.from({ length: 100 }, (_, i) => `ns-${i}`),
        expressionSelectors: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }],
        annotationSelectors: { 'prometheus.io/scrape': 'true' },
        fieldSelectors: { 'spec.restartPolicy': 'Always' },
        nodeSelectors: { zone: 'zone-1' },
      },
      mode: 'all',
    },
  },
  {
    name: '100 namespaces, no filter, all (every pod)',
    spec: { selector: { namespaces: Array.from({ length: 100 }, (_, i) => `ns-${i}`) }, mode: 'all' },
  },
  {
    name: 'explain: 100 namespaces, label, fixed 5',
    spec: {
      selector: {
        namespaces: Array.from({ length: 100 }, (_, i) => `ns-${i}`),
        labelSelectors: { app: 'web' },
      },
      mode: 'fixed',
      value: '5',
    },
    explain: true,
  },
];

/** Runs every scenario `iterations` times against a source; prints median and p95. */
export async function timeScenarios(
  label: string,
  source: SelectionSource,
  iterations: number,
): Promise<void> {
  const selector = createPodSelector(source);
  const context = { namespace: 'ns-0', signal: new AbortController().signal };
  console.log(`\n${label}`);
  for (const scenario of SCENARIOS) {
    const samples: number[] = [];
    let targets = 0;
    for (let i = 0; i < iterations + 3; i++) {
      const start = performance.now();
      if (scenario.explain) {
        targets = (await selector.explain(scenario.spec, context)).targets.length;
      } else {
        targets = (await selector.select(scenario.spec, context)).length;
      }
      if (i >= 3) samples.push(performance.now() - start); // 3 warm-up runs
    }
    console.log(
      `  ${scenario.name.padEnd(64)} median ${median(samples).toFixed(2).padStart(7)} ms  p95 ${percentile(samples, 95).toFixed(2).padStart(7)} ms  (${targets} targets)`,
    );
  }
}

async function main(): Promise<void> {
  const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 30);
  if (gc === undefined) console.log('(run node with --expose-gc for memory numbers)');
  const base = await heapUsed();
  const cluster = makeCluster();
  const withObjects = await heapUsed();
  // Each pod is parsed from its own JSON, as a watch delivers it, so the store shares nothing
  // with the fixture objects and the heap growth is the store's alone.
  const store = createSelectionStore();
  store.replacePods(cluster.pods.map(pod => toPodRecord(JSON.parse(JSON.stringify(pod)))));
  store.replaceNamespaces(cluster.namespaces.map(toNamespaceRecord));
  store.replaceNodes(cluster.nodes.map(toNodeRecord));
  const withStore = await heapUsed();
  console.log(
    `pods: ${store.counts().pods}, namespaces: ${store.counts().namespaces}, nodes: ${store.counts().nodes}`,
  );
  console.log(
    `memory of the full pod objects (what a whole-object informer keeps): ${mb(withObjects - base)}`,
  );
  console.log(
    `memory of the selection store (per 10,000 pods):                     ${mb(withStore - withObjects)}`,
  );
  await timeScenarios(
    `selection from the in-memory store (${iterations} runs each)`,
    createStoreSource(store),
    iterations,
  );
  if (process.argv.includes('--emulator')) await runEmulatorBench(cluster, iterations);
}

await main();
