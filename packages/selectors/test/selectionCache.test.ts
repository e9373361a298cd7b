// SPDX-License-Identifier: Apache-2.0
// The informer cache against a real kube-emulator: initial sync, watch updates, recovery from
// watch disconnects and API errors, namespace-scoped mode, and stop().
import { afterEach, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createPodSelector, createSelectionCache, type SelectionCache } from '@chaosplane/selectors';
import {
  createPod,
  ensureNamespace,
  startEmulator,
  type EmulatorCluster,
} from './support/emulatorCluster.js';
import type { PodFixture } from './support/cluster.js';

const running = (namespace: string, name: string, labels: Record<string, string> = {}): PodFixture => ({
  namespace,
  name,
  labels,
  nodeName: 'node-a',
  phase: 'Running',
  containers: ['main'],
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(
  cacheOptions: Parameters<typeof createSelectionCache>[1] = {},
  emulatorOptions: Parameters<typeof startEmulator>[0] = {},
): Promise<{
  cluster: EmulatorCluster;
  cache: SelectionCache;
  errors: string[];
}> {
  const cluster = await startEmulator(emulatorOptions);
  cleanups.push(() => cluster.stop());
  await ensureNamespace(cluster.core, { metadata: { name: 'app' } });
  await ensureNamespace(cluster.core, { metadata: { name: 'other' } });
  await createPod(cluster.core, running('app', 'before', { app: 'web' }));
  const errors: string[] = [];
  const cache = createSelectionCache(cluster.connection, {
    backoffInitialMs: 20,
    backoffMaxMs: 200,
    onError: (resource, error) => errors.push(`${resource}: ${String(error)}`),
    ...cacheOptions,
  });
  cleanups.push(() => cache.stop());
  return { cluster, cache, errors };
}

const context = () => ({ namespace: 'app', signal: new AbortController().signal });

describe('selection cache', () => {
  it('lists on start and follows adds, updates and deletes through the watch', async () => {
    const { cluster, cache } = await setup();
    expect(cache.synced).toBe(false);
    await cache.start();
    expect(cache.synced).toBe(true);
    expect(cache.listCounts).toEqual({ pods: 1, namespaces: 1, nodes: 1 });
    expect(cache.store.pod('app', 'before')?.labels).toEqual({ app: 'web' });

    await createPod(cluster.core, running('app', 'after', { app: 'web' }));
    await eventually(() => cache.store.pod('app', 'after')?.phase === 'Running', {
      what: 'the new pod is Running in the cache',
      intervalMs: 20,
    });
    const selector = createPodSelector(cache);
    const select = async () =>
      (await selector.select({ selector: { labelSelectors: { app: 'web' } }, mode: 'all' }, context())).map(
        t => t.id,
      );
    expect(await select()).toEqual(['app/after', 'app/before']);

    const pod = await cluster.core.readNamespacedPod({ namespace: 'app', name: 'after' });
    pod.metadata!.labels = { app: 'api' };
    await cluster.core.replaceNamespacedPod({ namespace: 'app', name: 'after', body: pod });
    await eventually(() => cache.store.pod('app', 'after')?.labels['app'] === 'api', {
      what: 'the label change reached the cache',
      intervalMs: 20,
    });
    expect(await select()).toEqual(['app/before']);

    await cluster.core.deleteNamespacedPod({ namespace: 'app', name: 'before', gracePeriodSeconds: 0 });
    await eventually(() => cache.store.pod('app', 'before') === undefined, {
      what: 'the deletion reached the cache',
      intervalMs: 20,
    });
    await expect(select()).rejects.toThrow('no pod is selected');
    expect(cache.store.counts().pods).toBe(1);
  });

  it('resumes after the server closes its watches, without losing events', async () => {
    const { cluster, cache } = await setup();
    await cache.start();
    // start() resolves after the LIST; the watch opens just after it.
    await eventually(() => cluster.emulator.faults.disconnectWatches('pods') > 0, {
      what: 'the pod watch was open and is now closed',
      intervalMs: 20,
    });
    await createPod(cluster.core, running('app', 'while-reconnecting'));
    await eventually(() => cache.store.pod('app', 'while-reconnecting') !== undefined, {
      what: 'the pod created across the reconnect is cached',
      intervalMs: 20,
    });
    expect(cache.listCounts['pods']).toBe(1); // resumed from its resourceVersion, no re-list
  });

  it('re-lists when its resourceVersion is too old to resume from (410 Gone)', async () => {
    const { cluster, cache } = await setup({}, { watchHistory: 3 });
    await cache.start();
    // Hold the pod watch down (it is closed as soon as it opens) while more changes than the
    // server's watch history happen, then let it resume from its now-expired resourceVersion.
    cluster.emulator.faults.set({ watchDisconnects: [{ resources: ['pods'], afterMs: 0 }] });
    await eventually(() => cluster.emulator.faults.disconnectWatches('pods') >= 0, {
      what: 'the pod watch was open and is now closed',
      intervalMs: 20,
    });
    for (let i = 0; i < 8; i++) await createPod(cluster.core, running('app', `burst-${i}`));
    await cluster.core.deleteNamespacedPod({ namespace: 'app', name: 'before', gracePeriodSeconds: 0 });
    cluster.emulator.faults.clear();
    await eventually(
      () => cache.store.counts().pods === 8 && cache.store.pod('app', 'before') === undefined,
      { what: 'the cache re-listed and holds exactly the 8 new pods', intervalMs: 20 },
    );
    expect(cache.listCounts['pods']).toBeGreaterThanOrEqual(2);
  });

  it('re-lists when a watch stays silent longer than staleAfterMs (stall watchdog)', async () => {
    // Bookmarks every 10 minutes: an idle watch says nothing, as a stalled connection would.
    const { cache } = await setup({ staleAfterMs: 150 }, { bookmarkIntervalMs: 600_000 });
    await cache.start();
    await eventually(() => (cache.listCounts['pods'] ?? 0) >= 2, {
      what: 'the silent pod watch was replaced by a re-list',
      intervalMs: 20,
    });
    expect(cache.store.pod('app', 'before')).toBeDefined();
  });

  it('retries with back-off when the API server fails, and syncs once it recovers', async () => {
    const { cluster, cache, errors } = await setup();
    cluster.emulator.faults.set({ errors: [{ status: 503, rate: 1, verbs: ['list'], resources: ['pods'] }] });
    const started = cache.start();
    await eventually(() => errors.length >= 2, { what: 'a failed LIST was reported', intervalMs: 20 });
    expect(cache.synced).toBe(false);
    expect(errors[0]).toMatch(/^pods: /);
    cluster.emulator.faults.clear();
    await started;
    expect(cache.store.pod('app', 'before')).toBeDefined();
  });

  it('waits for the first sync before answering, and fails when not started', async () => {
    const { cache } = await setup();
    const selector = createPodSelector(cache);
    await expect(selector.select({ selector: {}, mode: 'all' }, context())).rejects.toThrow(
      'the selection cache is not started; call start() first',
    );
    void cache.start();
    // Issued before the sync completes, answered after it: never from an empty cache.
    const targets = await selector.select({ selector: {}, mode: 'all' }, context());
    expect(targets.map(target => target.id)).toEqual(['app/before']);
  });

  it('watches one namespace in namespace-scoped mode', async () => {
    const { cluster, cache } = await setup({ namespace: 'app', watchNodes: false });
    await createPod(cluster.core, running('other', 'elsewhere'));
    await cache.start();
    expect(cache.store.counts()).toEqual({ pods: 1, namespaces: 1, nodes: 0 });
    const selector = createPodSelector(cache, { targetNamespace: 'app' });
    expect((await selector.select({ selector: {}, mode: 'all' }, context())).map(t => t.id)).toEqual([
      'app/before',
    ]);
    await expect(
      selector.select({ selector: { namespaces: ['other'] }, mode: 'all' }, context()),
    ).rejects.toThrow('could NOT list pods from out of scoped namespace: other');
    await expect(
      selector.select({ selector: { nodes: ['node-a'] }, mode: 'all' }, context()),
    ).rejects.toThrow('node selection needs the selection cache to watch nodes');
  });

  it('stops through its signal; a stop before the sync rejects start()', async () => {
    const { cluster, cache } = await setup();
    cluster.emulator.faults.set({ errors: [{ status: 500, rate: 1, verbs: ['list'] }] });
    const started = cache.start();
    await cache.stop();
    const error = await started.catch((caught: unknown) => caught);
    expect(ChaosplaneError.isKind(error, 'aborted')).toBe(true);
    await cache.stop(); // idempotent

    const controller = new AbortController();
    const second = createSelectionCache(cluster.connection, { signal: controller.signal });
    cluster.emulator.faults.clear();
    await second.start();
    controller.abort();
    await second.stop();
    expect(second.synced).toBe(true);
  });
});
