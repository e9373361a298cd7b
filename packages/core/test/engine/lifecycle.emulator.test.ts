// SPDX-License-Identifier: Apache-2.0
// The engine against the real kube-emulator over HTTPS, with a plugin that records calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  PAUSE_ANNOTATION,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  RECORDS_FINALIZER,
  type ChaosObject,
} from '@chaosplane/core';
import { startTestCluster, type TestCluster } from './support/emulator.js';
import { runEngine } from './support/runEngine.js';
import { createRecordingImpl, waitFor } from './support/testKind.js';

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
    const obj = await waitFor('all injected', async () => {
      const current = await cluster.get('life');
      return allIn(current, PHASE_INJECTED) && current;
    });
    expect(obj.metadata.finalizers).toEqual([RECORDS_FINALIZER]);
    expect(obj.status?.conditions?.find(c => c.type === 'AllInjected')?.status).toBe('True');
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(8);
    await cluster.remove('life');
    await waitFor('gone', async () => (await cluster.get('life')) === undefined);
    expect(impl.calls.filter(c => c.op === 'recover')).toHaveLength(8);
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
    await cluster.remove('metrics');
    await waitFor('gone', async () => (await cluster.get('metrics')) === undefined);
  });
});
