// SPDX-License-Identifier: Apache-2.0
// The engine against the real kube-emulator over HTTPS, with a plugin that records calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  definePlugin,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  type ChaosObject,
} from '@chaosplane/sdk';
import { resourcePath, type KubeConnection } from '@chaosplane/kube';
import {
  KUBE_CLIENT,
  LOGGER,
  SELECTOR_REGISTRY,
  PAUSE_ANNOTATION,
  RECORDS_FINALIZER,
} from '@chaosplane/sdk/framework';
import { registerPlugins } from '../../src/plugin/registerPlugins.js';
import { createChaosApi } from '../../src/kube/ChaosApi.js';
import { generateCrd } from '../../src/crd/generateCrd.js';
import { createEngineFromContainer } from '../../src/createEngine.js';
import { createSilentLogger } from '@chaosplane/service';
import { startTestCluster, type TestCluster } from './support/emulator.js';
import { runEngine } from './support/runEngine.js';
import { createRecordingImpl, createTestSelectors, testKind } from './support/testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

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
    const obj = await eventually(
      async () => {
        const current = await cluster.get('life');
        return (
          allIn(current, PHASE_INJECTED) &&
          current?.status?.conditions?.find(c => c.type === 'AllInjected')?.status === 'True' &&
          current
        );
      },
      { what: 'all injected', intervalMs: 20 },
    );
    expect(obj.metadata.finalizers).toEqual([RECORDS_FINALIZER]);
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(8);
    await cluster.remove('life');
    await eventually(async () => (await cluster.get('life')) === undefined, { what: 'gone', intervalMs: 20 });
    expect(impl.calls.filter(c => c.op === 'recover')).toHaveLength(8);
    const reasons = await eventually(
      async () => {
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
      },
      { what: 'events', intervalMs: 20 },
    );
    expect(reasons.size).toBeGreaterThanOrEqual(6);
  });

  it('with a namespace, reconciles only the chaos objects of that namespace', async () => {
    await cluster.client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'elsewhere' } } });
    const elsewhere = await cluster.client.request<ChaosObject>('POST', resourcePath(testKind, 'elsewhere'), {
      body: {
        apiVersion: testKind.apiVersion,
        kind: testKind.kind,
        metadata: { name: 'outside', namespace: 'elsewhere' },
        spec: { count: 1 },
      },
    });
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl, { namespace: 'default' });
    await cluster.create('inside', { count: 1 });
    await eventually(async () => allIn(await cluster.get('inside'), PHASE_INJECTED), {
      what: 'inside injected',
      intervalMs: 20,
    });
    const outside = await cluster.client.request<ChaosObject>(
      'GET',
      resourcePath(testKind, 'elsewhere', 'outside'),
    );
    // Never touched: no finalizer, no status, no call.
    expect(outside.metadata.resourceVersion).toBe(elsewhere.metadata.resourceVersion);
    expect(impl.calls.map(c => c.id)).toEqual(['default/target-0']);
    await cluster.remove('inside');
    await eventually(async () => (await cluster.get('inside')) === undefined, {
      what: 'inside gone',
      intervalMs: 20,
    });
    await cluster.client.request('DELETE', resourcePath(testKind, 'elsewhere', 'outside'));
  });

  it('an object whose spec fails validation is never injected; condition and Event name the field', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('invalid', { count: 200_000 });
    const obj = await eventually(
      async () => {
        const current = await cluster.get('invalid');
        return (
          current?.status?.conditions?.find(c => c.type === 'Selected')?.reason === 'InvalidSpec' && current
        );
      },
      { what: 'reported', intervalMs: 20 },
    );
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
    await eventually(async () => (await cluster.get('invalid')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
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
    await eventually(() => started === 2, { what: 'two in flight', intervalMs: 20 });
    await run.stop();
    expect(started).toBe(2);
    expect(aborted).toBe(0);
    const phases = records(await cluster.get('graceful')).map(r => r.phase);
    expect(phases.filter(p => p === PHASE_INJECTED)).toHaveLength(2);
    // The next engine picks up where this one stopped.
    const impl2 = createRecordingImpl();
    running = runEngine(cluster, impl2);
    await eventually(async () => allIn(await cluster.get('graceful'), PHASE_INJECTED), {
      what: 'all injected',
      intervalMs: 20,
    });
    expect(impl2.calls.filter(c => c.op === 'apply')).toHaveLength(4);
    await cluster.remove('graceful');
    await eventually(async () => (await cluster.get('graceful')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
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
    container.bind(KUBE_CLIENT).toConstantValue(cluster.client);
    container.bind(LOGGER).toConstantValue(createSilentLogger());
    container.bind(SELECTOR_REGISTRY).toConstantValue(createTestSelectors());
    await registerPlugins(container, [plugin]);
    const engine = createEngineFromContainer(container, { kube: cluster.client, statusFlushIntervalMs: 30 });
    const controller = new AbortController();
    const done = engine.run(controller.signal);
    running = {
      stop: async () => {
        controller.abort();
        await done;
      },
    };
    await cluster.create('di', { count: 2 });
    await eventually(async () => allIn(await cluster.get('di'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    await cluster.remove('di');
    await eventually(async () => (await cluster.get('di')) === undefined, { what: 'gone', intervalMs: 20 });
  });

  it('duration expiry recovers everything at the right moment (within 1 s)', async () => {
    const recoveredAt: number[] = [];
    const impl = createRecordingImpl({ recover: () => void recoveredAt.push(Date.now()) });
    running = runEngine(cluster, impl);
    const created = await cluster.create('timed', { count: 4, duration: '3s' });
    const expiry = new Date(created.metadata.creationTimestamp!).getTime() + 3_000;
    await eventually(
      async () => allIn(await cluster.get('timed'), PHASE_NOT_INJECTED) && recoveredAt.length === 4,
      { what: 'recovered', intervalMs: 20 },
    );
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(4);
    for (const at of recoveredAt) {
      expect(at).toBeGreaterThanOrEqual(expiry);
      expect(at - expiry).toBeLessThan(1_000);
    }
    const obj = await cluster.get('timed');
    expect(obj?.status?.experiment?.desiredPhase).toBe('Stop');
    await cluster.remove('timed');
    await eventually(async () => (await cluster.get('timed')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
  });

  it('pause and resume', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('pp', { count: 3 });
    await eventually(async () => allIn(await cluster.get('pp'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    await cluster.annotate('pp', { [PAUSE_ANNOTATION]: 'true' });
    await eventually(
      async () => {
        const obj = await cluster.get('pp');
        return (
          allIn(obj, PHASE_NOT_INJECTED) &&
          obj?.status?.conditions?.find(c => c.type === 'Paused')?.status === 'True'
        );
      },
      { what: 'paused', intervalMs: 20 },
    );
    await cluster.annotate('pp', { [PAUSE_ANNOTATION]: null });
    const resumed = await eventually(
      async () => {
        const obj = await cluster.get('pp');
        return allIn(obj, PHASE_INJECTED) && obj;
      },
      { what: 'resumed', intervalMs: 20 },
    );
    expect(records(resumed).map(r => [r.injectedCount, r.recoveredCount])).toEqual(Array(3).fill([2, 1]));
    await cluster.remove('pp');
    await eventually(async () => (await cluster.get('pp')) === undefined, { what: 'gone', intervalMs: 20 });
  });

  it('a one-shot kind applies once and never recovers, even past its duration', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('once', { count: 2, oneShot: true, duration: '1s' });
    await eventually(async () => allIn(await cluster.get('once'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    await new Promise(resolve => setTimeout(resolve, 1_500));
    const obj = await cluster.get('once');
    expect(obj?.status?.experiment?.desiredPhase).toBe('Run');
    expect(allIn(obj, PHASE_INJECTED)).toBe(true);
    expect(impl.calls.map(c => c.op)).toEqual(['apply', 'apply']);
    await cluster.remove('once');
    await eventually(async () => (await cluster.get('once')) === undefined, { what: 'gone', intervalMs: 20 });
    // Deletion is the one Stop a one-shot kind sees (as in Chaos Mesh): its recover is called
    // once per record, and decides what that means (pod-kill's does nothing).
    expect(impl.calls.map(c => c.op)).toEqual(['apply', 'apply', 'recover', 'recover']);
  });

  it('deletion before selection completes without any apply', async () => {
    const impl = createRecordingImpl();
    running = runEngine(cluster, impl);
    await cluster.create('early', { count: 1, labelSelector: { app: 'nothing-matches' } });
    await eventually(
      async () => {
        const obj = await cluster.get('early');
        return obj?.status?.conditions?.find(c => c.type === 'Selected')?.reason === 'NoTargets';
      },
      { what: 'reported', intervalMs: 20 },
    );
    await cluster.remove('early');
    await eventually(async () => (await cluster.get('early')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
    expect(impl.calls).toEqual([]);
  });

  it('deletion in the middle of applying stops applying and recovers what was applied', async () => {
    const impl = createRecordingImpl({ delayMs: 40 });
    running = runEngine(cluster, impl, { recordParallelism: 2 });
    await cluster.create('mid', { count: 30 });
    await eventually(() => impl.calls.filter(c => c.op === 'apply').length >= 4, {
      what: 'some applied',
      intervalMs: 20,
    });
    await cluster.remove('mid');
    await eventually(async () => (await cluster.get('mid')) === undefined, { what: 'gone', intervalMs: 20 });
    const applied = new Set(impl.calls.filter(c => c.op === 'apply').map(c => c.id));
    const recovered = new Set(impl.calls.filter(c => c.op === 'recover').map(c => c.id));
    expect(applied.size).toBeLessThan(30);
    for (const id of applied) expect(recovered).toContain(id);
  });

  it('a failed apply may have taken effect: deletion holds the finalizer until a recover succeeds', async () => {
    let recoverWorks = false;
    const impl = createRecordingImpl({
      apply: () => {
        throw new Error('daemon went away mid-call');
      },
      recover: () => {
        if (!recoverWorks) throw new Error('daemon still away');
      },
    });
    running = runEngine(cluster, impl, { recordBackoff: { baseMs: 50, maxMs: 100 } });
    await cluster.create('uncertain', { count: 1 });
    await eventually(() => impl.calls.some(c => c.op === 'apply'), { what: 'an apply', intervalMs: 20 });
    await cluster.remove('uncertain');
    await eventually(() => impl.calls.filter(c => c.op === 'recover').length >= 2, {
      what: 'two failed recovers',
      intervalMs: 20,
    });
    const held = await cluster.get('uncertain');
    expect(held?.metadata.finalizers).toEqual([RECORDS_FINALIZER]);
    expect(records(held)[0]).toMatchObject({ phase: PHASE_NOT_INJECTED, inFlight: 'Recover' });
    expect(held?.status?.conditions?.find(c => c.type === 'AllRecovered')?.status).toBe('False');
    recoverWorks = true;
    await eventually(async () => (await cluster.get('uncertain')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
  });

  it('a target pod deleted during the experiment does not block deletion', async () => {
    const impl = createRecordingImpl({
      apply: async ctx => {
        if (!(await cluster.podExists(ctx.record.id.split('/')[1]!, ctx.signal)))
          throw new ChaosplaneError('not-found', 'pod not found');
      },
      recover: async ctx => {
        if (!(await cluster.podExists(ctx.record.id.split('/')[1]!, ctx.signal)))
          throw new ChaosplaneError('not-found', 'pod not found');
      },
    });
    running = runEngine(cluster, impl);
    for (const name of ['web-0', 'web-1', 'web-2']) await cluster.createPod(name, { app: 'web' });
    await cluster.create('pods', { count: 0, labelSelector: { app: 'web' } });
    const injected = await eventually(
      async () => {
        const obj = await cluster.get('pods');
        return allIn(obj, PHASE_INJECTED) && obj;
      },
      { what: 'injected', intervalMs: 20 },
    );
    expect(records(injected).map(r => r.id)).toEqual(['default/web-0', 'default/web-1', 'default/web-2']);
    await cluster.deletePod('web-1');
    await cluster.remove('pods');
    await eventually(async () => (await cluster.get('pods')) === undefined, { what: 'gone', intervalMs: 20 });
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
    const counting: KubeConnection = {
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
    const otherKind = definePlugin({
      kind: {
        kind: 'OtherTestChaos',
        plural: 'othertestchaos',
        spec: testKind.spec,
        selectors: testKind.selectors,
      },
    }).kind;
    await cluster.client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: generateCrd(otherKind),
    });
    const first = createRecordingImpl();
    const second = createRecordingImpl();
    running = runEngine(cluster, first, {
      registrations: [{ kind: testKind, impl: first } as never, { kind: otherKind, impl: second } as never],
    });
    await cluster.create('kind-a', { count: 2 });
    await cluster.client.request('POST', resourcePath(otherKind, 'default'), {
      body: {
        apiVersion: otherKind.apiVersion,
        kind: otherKind.kind,
        metadata: { name: 'kind-b', namespace: 'default' },
        spec: { count: 3 },
      },
    });
    await eventually(() => first.calls.length === 2 && second.calls.length === 3, {
      what: 'both injected',
      intervalMs: 20,
    });
    expect(new Set(first.calls.map(c => c.op))).toEqual(new Set(['apply']));
    await cluster.remove('kind-a');
    await cluster.client.request('DELETE', resourcePath(otherKind, 'default', 'kind-b'));
    await eventually(() => first.calls.length === 4 && second.calls.length === 6, {
      what: 'both recovered',
      intervalMs: 20,
    });
  });

  it('serves metrics: operations, queue depth, experiments by phase', async () => {
    const impl = createRecordingImpl();
    const run = runEngine(cluster, impl);
    running = run;
    await cluster.create('metrics', { count: 2 });
    await eventually(async () => allIn(await cluster.get('metrics'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    const text = await run.engine.metrics.registry.metrics();
    expect(text).toMatch(
      /chaosplane_record_operations_total\{kind="EngineTestChaos",operation="apply",result="success"\} 2/,
    );
    expect(text).toMatch(/chaosplane_experiments\{kind="EngineTestChaos",phase="Running"\} 1/);
    expect(text).toContain('chaosplane_workqueue_depth');
    // The watch stays open: no reconnects (a watch that the server ended at once would show here).
    expect(text).not.toMatch(/chaosplane_watch_restarts_total\{[^}]*\} [1-9]/);
    await cluster.remove('metrics');
    await eventually(async () => (await cluster.get('metrics')) === undefined, {
      what: 'gone',
      intervalMs: 20,
    });
  });
});
