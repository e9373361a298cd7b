// SPDX-License-Identifier: Apache-2.0
// Property: for random pod sets and random selectors, selection from the informer cache and
// selection by direct LIST (server-side label and field selectors, GETs for nodes and pods)
// give the same pods, or the same error, in the deterministic mode `all`. Runs against a real
// kube-emulator; every run gets a fresh namespace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import fc from 'fast-check';
import type { PodSelectorSpec } from '@chaosplane/sdk/framework';
import {
  createDirectListSource,
  createPodSelector,
  createSelectionCache,
  type SelectionCache,
} from '@chaosplane/selectors';
import type { PodFixture } from './support/cluster.js';
import {
  createPod,
  ensureNamespace,
  startEmulator,
  type EmulatorCluster,
} from './support/emulatorCluster.js';

const NODE_NAMES = ['node-1', 'node-2', 'node-3'];
const PHASES = ['Running', 'Running', 'Running', 'Pending', 'Succeeded', 'Failed'];

const podArbitrary = fc.record({
  app: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
  tier: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
  team: fc.option(fc.constantFrom('red', 'green'), { nil: undefined }),
  nodeName: fc.option(fc.constantFrom(...NODE_NAMES), { nil: undefined }),
  phase: fc.constantFrom(...PHASES),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never'),
  serviceAccountName: fc.constantFrom('default', 'robot'),
  terminating: fc.integer({ min: 0, max: 9 }).map(roll => roll < 2),
});

const selectorArbitrary: fc.Arbitrary<PodSelectorSpec> = fc.record(
  {
    labelSelectors: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('a', 'b', 'x'), {
      maxKeys: 2,
    }),
    expressionSelectors: fc.array(
      fc.oneof(
        fc.record({
          key: fc.constantFrom('app', 'tier', 'zone'),
          operator: fc.constantFrom('In' as const, 'NotIn' as const),
          values: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'x', 'y'), { minLength: 1, maxLength: 3 }),
        }),
        fc.record({
          key: fc.constantFrom('app', 'tier'),
          operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const),
        }),
      ),
      { maxLength: 2 },
    ),
    annotationSelectors: fc.dictionary(fc.constant('team'), fc.constantFrom('red', 'green'), { maxKeys: 1 }),
    fieldSelectors: fc.dictionary(
      fc.constantFrom(
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.serviceAccountName',
        'status.phase',
        'metadata.name',
      ),
      fc
        .tuple(
          fc.constantFrom('', '!=', '=='),
          fc.constantFrom(
            'node-1',
            'node-2',
            'Always',
            'Never',
            'robot',
            'Running',
            'Failed',
            'pod-0',
            'pod-1',
          ),
        )
        .map(([operator, value]) => operator + value),
      { maxKeys: 2 },
    ),
    nodes: fc.uniqueArray(fc.constantFrom(...NODE_NAMES), { maxLength: 2 }),
    nodeSelectors: fc.dictionary(fc.constant('zone'), fc.constantFrom('a', 'b', 'c'), { maxKeys: 1 }),
    podPhaseSelectors: fc.uniqueArray(
      fc.constantFrom('Running', 'Pending', 'Succeeded', 'Failed', '!Failed', '!Running'),
      {
        maxLength: 2,
      },
    ),
    // `NAMESPACE` is replaced by the run's namespace; pod-9 usually does not exist.
    pods: fc
      .integer({ min: 0, max: 4 })
      .map((roll): Record<string, string[]> =>
        roll === 0 ? { NAMESPACE: ['pod-0', 'pod-2', 'pod-9'] } : {},
      ),
  },
  { requiredKeys: [] },
);

function teamAnnotations(team: string | undefined): Record<string, string> {
  return team === undefined ? {} : { team };
}

let cluster: EmulatorCluster;
let cache: SelectionCache;
let runNumber = 0;
let selected = 0;
let comparisons = 0;

beforeAll(async () => {
  cluster = await startEmulator();
  await cluster.core.createNode({ body: { metadata: { name: 'node-1', labels: { zone: 'a' } } } });
  await cluster.core.createNode({ body: { metadata: { name: 'node-2', labels: { zone: 'b' } } } });
  await cluster.core.createNode({ body: { metadata: { name: 'node-3', labels: { zone: 'a' } } } });
  cache = createSelectionCache(cluster.connection);
  await cache.start();
});

afterAll(async () => {
  await cache?.stop();
  await cluster?.stop();
});

async function outcome(run: Promise<{ id: string }[]>): Promise<string[] | string> {
  try {
    return (await run).map(target => target.id).sort();
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe('cache versus direct LIST', () => {
  it('select the same pods for random pod sets and selectors (mode all)', async () => {
    const direct = createDirectListSource(cluster.connection);
    await fc.assert(
      fc.asyncProperty(
        fc.array(podArbitrary, { minLength: 1, maxLength: 10 }),
        fc.array(selectorArbitrary, { minLength: 1, maxLength: 4 }),
        async (pods, selectors) => {
          const namespace = `prop-${runNumber++}`;
          await ensureNamespace(cluster.core, { metadata: { name: namespace } });
          const fixtures: PodFixture[] = pods.map((pod, index) => ({
            namespace,
            name: `pod-${index}`,
            labels: { ...(pod.app ? { app: pod.app } : {}), ...(pod.tier ? { tier: pod.tier } : {}) },
            annotations: teamAnnotations(pod.team),
            ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
            phase: pod.phase,
            restartPolicy: pod.restartPolicy,
            serviceAccountName: pod.serviceAccountName,
            terminating: pod.terminating,
            containers: ['main'],
          }));
          for (const fixture of fixtures) await createPod(cluster.core, fixture);
          await eventually(
            () =>
              fixtures.every(fixture => {
                const cached = cache.store.pod(namespace, fixture.name);
                return (
                  cached !== undefined &&
                  cached.phase === fixture.phase &&
                  cached.terminating === Boolean(fixture.terminating)
                );
              }),
            { what: `the cache holds namespace ${namespace} as written`, intervalMs: 20 },
          );
          for (const selector of selectors) {
            const named = selector.pods?.['NAMESPACE'];
            const spec: PodSelectorSpec = { ...selector, ...(named ? { pods: { [namespace]: named } } : {}) };
            const context = { namespace, signal: new AbortController().signal };
            const fromCache = await outcome(
              createPodSelector(cache).select({ selector: spec, mode: 'all' }, context),
            );
            const fromList = await outcome(
              createPodSelector(direct).select({ selector: spec, mode: 'all' }, context),
            );
            expect({ spec, result: fromCache }).toEqual({ spec, result: fromList });
            comparisons++;
            if (Array.isArray(fromCache)) selected++;
          }
        },
      ),
      { numRuns: 40 },
    );
    // Not vacuous: about a fifth of the random selectors pick pods (the rest agree on the error);
    // fewer than 3 in ~100 comparisons would mean the generators broke (p < 1e-6 otherwise).
    expect(comparisons).toBeGreaterThanOrEqual(40);
    expect(selected).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
