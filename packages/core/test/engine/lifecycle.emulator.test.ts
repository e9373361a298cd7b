// SPDX-License-Identifier: Apache-2.0
// The engine against the real kube-emulator over HTTPS, with a plugin that records calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  KUBE_CONFIG,
  LOGGER,
  SELECTOR_REGISTRY,
  collectionPath,
  createChaosApi,
  generateCrd,
  objectPath,
  resolveKind,
  createEngineFromContainer,
  createSilentLogger,
  definePlugin,
  PAUSE_ANNOTATION,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  RECORDS_FINALIZER,
  type ChaosObject,
  type KubeClient,
} from '@chaosplane/core';
import { startTestCluster, type TestCluster } from './support/emulator.js';
import { runEngine } from './support/runEngine.js';
import { createRecordingImpl, createTestSelectors, testKind, waitFor } from './support/testKind.js';

let cluster: TestCluster;
let running: { stop(): Promise<void> } | undefined;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});
afterAll(async () => {
  await cluster?.stop();
});

const records = (obj: ChaosObject | undefined) => obj?.status?.experiment?.containerRecords ?? [];
const allIn = (obj: ChaosObject | undefined, phase: string) =>
  records(obj).length > 0 && records(obj).every(r => r.phase === phase);

describe('engine lifecycle against kube-emulator', () => {
  it('applies everything; deletion recovers everything and removes the finalizer', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('life', { count: 8 });
    // The records are written first, the conditions right after them.
    const obj = await waitFor('all injected', async () => {
      const current = await cluster.get('life');
      return (
        allIn(current, PHASE_INJECTED) &&
        current?.status?.conditions?.find(c => c.type === 'AllInjected')?.status === 'True' &&
        current
      );
    });
    expect(obj.metadata.finalizers).toEqual([RECORDS_FINALIZER]);
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(8);
    await cluster.remove('life');
    await waitFor('gone', async () => (await cluster.get('life')) === undefined);
    expect(impl.calls.filter(c => c.op === 'recover')).toHaveLength(8);
    const reasons = await waitFor('events', async () => {
      const events = await cluster.client.request<{
        items: { reason: string; involvedObject: { name: string } }[];
      }>('GET', '/api/v1/namespaces/default/events', {
        query: { fieldSelector: 'involvedObject.name=life' },
      });
      const seen = new Set(events.items.map(e => e.reason));
      return (
        ['FinalizerInited', 'Started', 'Applied', 'Deleted', 'Recovered', 'FinalizerRemoved'].every(r =>
          seen.has(r),
        ) && seen
      );
    });
    expect(reasons.size).toBeGreaterThanOrEqual(6);
  });

  it('with a namespace, reconciles only the chaos objects of that namespace', async () => {
    await cluster.client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'elsewhere' } } });
    const elsewhere = await cluster.client.request<ChaosObject>(
      'POST',
      collectionPath(testKind, 'elsewhere'),
      {
        body: {
          apiVersion: testKind.apiVersion,
          kind: testKind.kind,
          metadata: { name: 'outside', namespace: 'elsewhere' },
          spec: { count: 1 },
        },
      },
    );
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl, { namespace: 'default' });
    await cluster.create('inside', { count: 1 });
    await waitFor('inside injected', async () => allIn(await cluster.get('inside'), PHASE_INJECTED));
    const outside = await cluster.client.request<ChaosObject>(
      'GET',
      objectPath(testKind, 'elsewhere', 'outside'),
    );
    // Never touched: no finalizer, no status, no call.
    expect(outside.metadata.resourceVersion).toBe(elsewhere.metadata.resourceVersion);
    expect(impl.calls.map(c => c.id)).toEqual(['default/target-0']);
    await cluster.remove('inside');
    await waitFor('inside gone', async () => (await cluster.get('inside')) === undefined);
    await cluster.client.request('DELETE', objectPath(testKind, 'elsewhere', 'outside'));
  });

  it('an object whose spec fails validation is never injected; condition and Event name the field', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('invalid', { count: 200_000 });
    const obj = await waitFor('reported', async () => {
      const current = await cluster.get('invalid');
      return (
        current?.status?.conditions?.find(c => c.type === 'Selected')?.reason === 'InvalidSpec' && current
      );
    });
    expect(obj.status?.conditions?.find(c => c.type === 'Selected')?.message).toContain('spec.count');
    const events = await cluster.client.request<{ items: { reason: string; message: string }[] }>(
      'GET',
      '/api/v1/namespaces/default/events',
      { query: { fieldSelector: 'involvedObject.name=invalid' } },
    );
    expect(events.items.some(e => e.reason === 'Failed' && e.message.includes('spec.count'))).toBe(true);
    expect(obj.status?.experiment?.containerRecords ?? []).toEqual([]);
    expect(impl.calls).toEqual([]);
    await cluster.remove('invalid');
    await waitFor('gone', async () => (await cluster.get('invalid')) === undefined);
  });

  it('a graceful stop lets in-flight records finish and persists them; nothing new starts', async () => {
    let started = 0;
    let aborted = 0;
    const impl = createRecordingImpl({
      apply: async ctx => {
        started += 1;
        await new Promise(resolve => setTimeout(resolve, 400));
        if (ctx.signal.aborted) aborted += 1;
      },
    });
    const run = runEngine(cluster, impl, { recordParallelism: 2 });
    await cluster.create('graceful', { count: 6 });
    await waitFor('two in flight', () => started === 2);
    await run.stop();
    expect(started).toBe(2);
    expect(aborted).toBe(0);
    const phases = records(await cluster.get('graceful')).map(r => r.phase);
    expect(phases.filter(p => p === PHASE_INJECTED)).toHaveLength(2);
    // The next engine picks up where this one stopped.
    const impl2 = createRecordingImpl();
    running = runEngine(cluster, impl2);
    await waitFor('all injected', async () => allIn(await cluster.get('graceful'), PHASE_INJECTED));
    expect(impl2.calls.filter(c => c.op === 'apply')).toHaveLength(4);
    await cluster.remove('graceful');
    await waitFor('gone', async () => (await cluster.get('graceful')) === undefined);
  });

  it('is wired from an inversify container: the CHAOS_IMPL group of a definePlugin module', async () => {
    const { Container } = await import('inversify');
    const plugin = definePlugin({
      kind: {
        kind: testKind.kind,
        plural: testKind.plural,
        spec: testKind.spec,
        selectors: testKind.selectors,
      },
      controller: () => createRecordingImpl(),
    });
    const container = new Container();
    container.bind(KUBE_CONFIG).toConstantValue(cluster.kubeConfig);
    container.bind(LOGGER).toConstantValue(createSilentLogger());
    container.bind(SELECTOR_REGISTRY).toConstantValue(createTestSelectors());
    await container.load(plugin.controllerModule!);
    const engine = createEngineFromContainer(container, { statusFlushIntervalMs: 30 });
    const controller = new AbortController();
    const done = engine.run(controller.signal);
    running = {
      stop: async () => {
        controller.abort();
        await done;
      },
    };
    await cluster.create('di', { count: 2 });
    await waitFor('injected', async () => allIn(await cluster.get('di'), PHASE_INJECTED));
    await cluster.remove('di');
    await waitFor('gone', async () => (await cluster.get('di')) === undefined);
  });

  it('duration expiry recovers everything at the right moment (within 1 s)', async () => {
    const recoveredAt: number[] = [];
    const impl = createRecordingImpl({ recover: () => void recoveredAt.push(Date.now()) });
    running = runEngine(cluster, impl);
    const created = await cluster.create('timed', { count: 4, duration: '3s' });
    const expiry = new Date(created.metadata.creationTimestamp!).getTime() + 3_000;
    await waitFor(
      'recovered',
      async () => allIn(await cluster.get('timed'), PHASE_NOT_INJECTED) && recoveredAt.length === 4,
    );
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(4);
    for (const at of recoveredAt) {
      expect(at).toBeGreaterThanOrEqual(expiry);
      expect(at - expiry).toBeLessThan(1_000);
    }
    const obj = await cluster.get('timed');
    expect(obj?.status?.experiment?.desiredPhase).toBe('Stop');
    await cluster.remove('timed');
    await waitFor('gone', async () => (await cluster.get('timed')) === undefined);
  });

  it('pause and resume', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('pp', { count: 3 });
    await waitFor('injected', async () => allIn(await cluster.get('pp'), PHASE_INJECTED));
    await cluster.annotate('pp', { [PAUSE_ANNOTATION]: 'true' });
    await waitFor('paused', async () => {
      const obj = await cluster.get('pp');
      return (
        allIn(obj, PHASE_NOT_INJECTED) &&
        obj?.status?.conditions?.find(c => c.type === 'Paused')?.status === 'True'
      );
    });
    await cluster.annotate('pp', { [PAUSE_ANNOTATION]: null });
    const resumed = await waitFor('resumed', async () => {
      const obj = await cluster.get('pp');
      return allIn(obj, PHASE_INJECTED) && obj;
    });
    expect(records(resumed).map(r => [r.injectedCount, r.recoveredCount])).toEqual(Array(3).fill([2, 1]));
    await cluster.remove('pp');
    await waitFor('gone', async () => (await cluster.get('pp')) === undefined);
  });

  it('a one-shot kind applies once and never recovers, even past its duration', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('once', { count: 2, oneShot: true, duration: '1s' });
    await waitFor('injected', async () => allIn(await cluster.get('once'), PHASE_INJECTED));
    await new Promise(resolve => setTimeout(resolve, 1_500));
    const obj = await cluster.get('once');
    expect(obj?.status?.experiment?.desiredPhase).toBe('Run');
    expect(allIn(obj, PHASE_INJECTED)).toBe(true);
    expect(impl.calls.map(c => c.op)).toEqual(['apply', 'apply']);
    await cluster.remove('once');
    await waitFor('gone', async () => (await cluster.get('once')) === undefined);
    // Deletion is the one Stop a one-shot kind sees (as in Chaos Mesh): its recover is called
    // once per record, and decides what that means (pod-kill's does nothing).
    expect(impl.calls.map(c => c.op)).toEqual(['apply', 'apply', 'recover', 'recover']);
  });

  it('deletion before selection completes without any apply', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('early', { count: 1, labelSelector: { app: 'nothing-matches' } });
    await waitFor('reported', async () => {
      const obj = await cluster.get('early');
      return obj?.status?.conditions?.find(c => c.type === 'Selected')?.reason === 'NoTargets';
    });
    await cluster.remove('early');
    await waitFor('gone', async () => (await cluster.get('early')) === undefined);
    expect(impl.calls).toEqual([]);
  });

  it('deletion in the middle of applying stops applying and recovers what was applied', async () => {
    const impl = createRecordingImpl({ delayMs: 40 });
    running = runEngine(cluster, impl, { recordParallelism: 2 });
    await cluster.create('mid', { count: 30 });
    await waitFor('some applied', () => impl.calls.filter(c => c.op === 'apply').length >= 4);
    await cluster.remove('mid');
    await waitFor('gone', async () => (await cluster.get('mid')) === undefined);
    const applied = new Set(impl.calls.filter(c => c.op === 'apply').map(c => c.id));
    const recovered = new Set(impl.calls.filter(c => c.op === 'recover').map(c => c.id));
    expect(applied.size).toBeLessThan(30);
    for (const id of applied) expect(recovered).toContain(id);
  });

  it('a target pod deleted during the experiment does not block deletion', async () => {
    const impl = createRecordingImpl({
      apply: async ctx => {
        if (!(await cluster.podExists(ctx.records[ctx.index]!.id.split('/')[1]!, ctx.signal)))
          throw new ChaosplaneError('not-found', 'pod not found');
      },
      recover: async ctx => {
        if (!(await cluster.podExists(ctx.records[ctx.index]!.id.split('/')[1]!, ctx.signal)))
          throw new ChaosplaneError('not-found', 'pod not found');
      },
    });
    running = runEngine(cluster, impl);
    for (const name of ['web-0', 'web-1', 'web-2']) await cluster.createPod(name, { app: 'web' });
    await cluster.create('pods', { count: 0, labelSelector: { app: 'web' } });
    const injected = await waitFor('injected', async () => {
      const obj = await cluster.get('pods');
      return allIn(obj, PHASE_INJECTED) && obj;
    });
    expect(records(injected).map(r => r.id)).toEqual(['default/web-0', 'default/web-1', 'default/web-2']);
    await cluster.deletePod('web-1');
    await cluster.remove('pods');
    await waitFor('gone', async () => (await cluster.get('pods')) === undefined);
    expect(
      impl.calls
        .filter(c => c.op === 'recover')
        .map(c => c.id)
        .sort(),
    ).toEqual(['default/web-0', 'default/web-1', 'default/web-2']);
  });

  it('lists a kind in pages (more objects than one page)', async () => {
    const names = Array.from({ length: 260 }, (_, i) => `page-${i}`);
    for (let i = 0; i < names.length; i += 20)
      await Promise.all(names.slice(i, i + 20).map(name => cluster.create(name, { count: 1 })));
    let pages = 0;
    const counting: KubeClient = {
      ...cluster.client,
      request: (method, path, options) => {
        pages += 1;
        return cluster.client.request(method, path, options);
      },
    };
    const listed = await createChaosApi(counting, testKind).list(new AbortController().signal);
    expect(pages).toBe(Math.ceil(listed.items.length / 250));
    expect(listed.items.filter(obj => obj.metadata.name?.startsWith('page-'))).toHaveLength(260);
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0);
    for (let i = 0; i < names.length; i += 20)
      await Promise.all(names.slice(i, i + 20).map(name => cluster.remove(name)));
  });

  it('runs one pipeline per registered kind', async () => {
    const otherKind = resolveKind({
      kind: 'OtherTestChaos',
      plural: 'othertestchaos',
      spec: testKind.spec,
      selectors: testKind.selectors,
    });
    await cluster.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: generateCrd(otherKind),
    });
    const first = createRecordingImpl();
    const second = createRecordingImpl();
    running = runEngine(cluster, first, {
      registrations: [{ kind: testKind, impl: first } as never, { kind: otherKind, impl: second } as never],
    });
    await cluster.create('kind-a', { count: 2 });
    await cluster.client.request('POST', collectionPath(otherKind, 'default'), {
      body: {
        apiVersion: otherKind.apiVersion,
        kind: otherKind.kind,
        metadata: { name: 'kind-b', namespace: 'default' },
        spec: { count: 3 },
      },
    });
    await waitFor('both injected', () => first.calls.length === 2 && second.calls.length === 3);
    expect(new Set(first.calls.map(c => c.op))).toEqual(new Set(['apply']));
    await cluster.remove('kind-a');
    await cluster.client.request('DELETE', objectPath(otherKind, 'default', 'kind-b'));
    await waitFor('both recovered', () => first.calls.length === 4 && second.calls.length === 6);
  });

  it('serves metrics: operations, queue depth, experiments by phase', async () => {
    const impl = createRecordingImpl();
    const run = runEngine(cluster, impl);
    running = run;
    await cluster.create('metrics', { count: 2 });
    await waitFor('injected', async () => allIn(await cluster.get('metrics'), PHASE_INJECTED));
    const text = await run.engine.metrics.registry.metrics();
    expect(text).toMatch(
      /chaosplane_record_operations_total\{kind="EngineTestChaos",operation="apply",result="success"\} 2/,
    );
    expect(text).toMatch(/chaosplane_experiments\{kind="EngineTestChaos",phase="Running"\} 1/);
    expect(text).toContain('chaosplane_workqueue_depth');
    // The watch stays open: no reconnects (a watch that the server ended at once would show here).
    expect(text).not.toMatch(/chaosplane_watch_restarts_total\{[^}]*\} [1-9]/);
    await cluster.remove('metrics');
    await waitFor('gone', async () => (await cluster.get('metrics')) === undefined);
  });
});
