// SPDX-License-Identifier: Apache-2.0
// The engine's pipeline over an in-memory API (fakeChaosApi): step semantics, back-off,
// conflicts, invalid specs. The same behaviour against the kube-emulator over HTTPS is in
// lifecycle.test.ts.
import { afterEach, describe, expect, it } from '@jest/globals';
import { CLEAN_FINALIZER_ANNOTATION, PAUSE_ANNOTATION, RECORDS_FINALIZER } from '@chaosplane/sdk/framework';
import { ChaosplaneError, PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { chaos, runFakeEngine, type FakeEngine } from './support/runFakeEngine.js';
import { createRecordingImpl, createTestSelectors } from './support/testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

let running: FakeEngine | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const records = (obj: ChaosObject | undefined) => obj?.status?.experiment?.containerRecords ?? [];
const allIn = (obj: ChaosObject | undefined, phase: string) =>
  records(obj).length > 0 && records(obj).every(r => r.phase === phase);
const condition = (obj: ChaosObject | undefined, type: string) =>
  obj?.status?.conditions?.find(c => c.type === type);

describe('pipeline over an in-memory API', () => {
  it('adds the finalizer, applies every record once, sets conditions; deletion recovers and removes only our finalizer', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create({
      ...chaos('a', { count: 5 }),
      metadata: { ...chaos('a', {}).metadata, finalizers: ['someone.else/keep'] },
    });
    const injected = await eventually(
      () => {
        const obj = api.read('default', 'a');
        return allIn(obj, PHASE_INJECTED) && condition(obj, 'AllInjected')?.status === 'True' && obj;
      },
      { what: 'all injected', intervalMs: 20 },
    );
    expect(injected.metadata.finalizers).toEqual(['someone.else/keep', RECORDS_FINALIZER]);
    expect(injected.status?.experiment?.desiredPhase).toBe('Run');
    expect(records(injected).map(r => [r.id, r.injectedCount, r.recoveredCount])).toEqual(
      [0, 1, 2, 3, 4].map(i => [`default/target-${i}`, 1, 0]),
    );
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(5);
    // Plugins never see the engine's write-ahead marker.
    expect(new Set(impl.calls.map(c => c.phaseSeen))).toEqual(new Set([PHASE_NOT_INJECTED]));

    api.remove('default', 'a');
    const cleaned = await eventually(
      () => {
        const obj = api.read('default', 'a');
        return obj && !obj.metadata.finalizers?.includes(RECORDS_FINALIZER) && obj;
      },
      { what: 'our finalizer removed', intervalMs: 20 },
    );
    expect(cleaned.metadata.finalizers).toEqual(['someone.else/keep']);
    expect(allIn(cleaned, PHASE_NOT_INJECTED)).toBe(true);
    expect(impl.calls.filter(c => c.op === 'recover').map(c => c.phaseSeen)).toEqual(
      Array(5).fill(PHASE_INJECTED),
    );
    const reasons = new Set(running.events.map(e => e.reason));
    for (const reason of ['FinalizerInited', 'Applied', 'Deleted', 'Recovered', 'FinalizerRemoved'])
      expect(reasons).toContain(reason);
  });

  it('pause recovers everything, resume applies again (a new cycle)', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('p', { count: 3 }));
    await eventually(() => allIn(api.read('default', 'p'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    api.annotate('default', 'p', { [PAUSE_ANNOTATION]: 'true' });
    const paused = await eventually(
      () => {
        const obj = api.read('default', 'p');
        return allIn(obj, PHASE_NOT_INJECTED) && condition(obj, 'Paused')?.status === 'True' && obj;
      },
      { what: 'paused and recovered', intervalMs: 20 },
    );
    expect(paused.status?.experiment?.desiredPhase).toBe('Stop');
    api.annotate('default', 'p', { [PAUSE_ANNOTATION]: 'false' });
    const resumed = await eventually(
      () => {
        const obj = api.read('default', 'p');
        return allIn(obj, PHASE_INJECTED) && obj;
      },
      { what: 're-injected', intervalMs: 20 },
    );
    expect(records(resumed).map(r => [r.injectedCount, r.recoveredCount])).toEqual(Array(3).fill([2, 1]));
    expect(
      impl.calls
        .filter(c => c.op === 'apply')
        .map(c => c.cycle)
        .sort(),
    ).toEqual([0, 0, 0, 1, 1, 1]);
    expect(running.events.map(e => e.reason)).toContain('Paused');
  });

  it('a one-shot kind applies once and is not recovered by pause', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('o', { count: 2, oneShot: true, duration: '1ms' }));
    await eventually(() => allIn(api.read('default', 'o'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    api.annotate('default', 'o', { [PAUSE_ANNOTATION]: 'true' });
    await new Promise(resolve => setTimeout(resolve, 300));
    const obj = api.read('default', 'o');
    expect(obj?.status?.experiment?.desiredPhase).toBe('Run');
    expect(impl.calls.map(c => c.op)).toEqual(['apply', 'apply']);
  });

  it('an invalid spec is never injected; the condition and an Event name the field', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('bad', { count: -1 }));
    const obj = await eventually(
      () => {
        const current = api.read('default', 'bad');
        return condition(current, 'Selected')?.reason === 'InvalidSpec' && current;
      },
      { what: 'condition', intervalMs: 20 },
    );
    expect(condition(obj, 'Selected')?.message).toContain('spec.count');
    expect(running.events.some(e => e.reason === 'Failed' && e.message.includes('spec.count'))).toBe(true);
    expect(impl.calls).toEqual([]);
    api.remove('default', 'bad');
    await eventually(() => api.read('default', 'bad') === undefined, { what: 'gone', intervalMs: 20 });
  });

  it('a failing selection is retried with back-off and reported, then succeeds', async () => {
    let attempts = 0;
    let healthy = false;
    const impl = createRecordingImpl();
    running = runFakeEngine(impl, {
      selectors: createTestSelectors(undefined, {
        synthetic: count => {
          attempts += 1;
          if (!healthy) throw new ChaosplaneError('selection', `API unavailable (attempt ${attempts})`);
          return Array.from({ length: count }, (_, i) => ({ id: `default/t${i}` }));
        },
      }),
    });
    const { api } = running;
    api.create(chaos('s', { count: 2 }));
    await eventually(() => condition(api.read('default', 's'), 'Selected')?.reason === 'SelectionFailed', {
      what: 'reported',
      intervalMs: 20,
    });
    await eventually(() => attempts >= 3, { what: 'retried', intervalMs: 20 });
    expect(impl.calls).toEqual([]);
    healthy = true;
    await eventually(() => allIn(api.read('default', 's'), PHASE_INJECTED), {
      what: 'injected after retries',
      intervalMs: 20,
    });
    expect(running.events.some(e => e.reason === 'Failed' && e.message.includes('select targets'))).toBe(
      true,
    );
    await eventually(() => condition(api.read('default', 's'), 'Selected')?.status === 'True', {
      what: 'condition cleared',
      intervalMs: 20,
    });
  });

  it('records keep the instance a target names; plugins see it on apply', async () => {
    const seen: (string | undefined)[] = [];
    const impl = createRecordingImpl({ apply: ctx => void seen.push(ctx.record.instanceId) });
    running = runFakeEngine(impl, {
      selectors: createTestSelectors(undefined, {
        synthetic: () => [{ id: 'default/a', instanceId: 'uid-a' }, { id: 'default/b' }],
      }),
    });
    const { api } = running;
    api.create(chaos('inst', { count: 2 }));
    const obj = await eventually(
      () => {
        const current = api.read('default', 'inst');
        return allIn(current, PHASE_INJECTED) && current;
      },
      { what: 'injected', intervalMs: 20 },
    );
    const records = obj.status!.experiment!.containerRecords!;
    expect(records.map(r => [r.id, r.instanceId])).toEqual([
      ['default/a', 'uid-a'],
      ['default/b', undefined],
    ]);
    expect('instanceId' in records[1]!).toBe(false);
    expect(seen.sort()).toEqual(['uid-a', undefined]);
  });

  it('nothing selected is reported as NoTargets; deletion before selection completes', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('none', { count: 0 }));
    await eventually(() => condition(api.read('default', 'none'), 'Selected')?.reason === 'NoTargets', {
      what: 'reported',
      intervalMs: 20,
    });
    api.remove('default', 'none');
    await eventually(() => api.read('default', 'none') === undefined, { what: 'gone', intervalMs: 20 });
    expect(impl.calls).toEqual([]);
  });

  it('one failing record backs off alone; the others are injected meanwhile', async () => {
    let failures = 0;
    const impl = createRecordingImpl({
      apply: ctx => {
        if (ctx.record.id.endsWith('target-1') && failures < 4) {
          failures += 1;
          throw new Error('daemon unreachable');
        }
      },
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('f', { count: 4 }));
    const partial = await eventually(
      () => {
        const obj = api.read('default', 'f');
        return records(obj).filter(r => r.phase === PHASE_INJECTED).length === 3 && obj;
      },
      { what: 'others injected', intervalMs: 20 },
    );
    expect(records(partial).find(r => r.id.endsWith('target-1'))?.events?.[0]).toMatchObject({
      type: 'Failed',
      operation: 'Apply',
      message: 'daemon unreachable',
    });
    await eventually(() => allIn(api.read('default', 'f'), PHASE_INJECTED), {
      what: 'all injected',
      intervalMs: 20,
    });
    expect(failures).toBe(4);
  });

  it('an apply a crash interrupted is recovered as Injected (it may have taken effect) when the object goes', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    const interrupted = {
      id: 'default/target-0',
      selectorKey: '.',
      phase: PHASE_NOT_INJECTED,
      inFlight: 'Apply' as const,
      injectedCount: 0,
      recoveredCount: 0,
    };
    api.create({
      ...chaos('crashed', { count: 1 }),
      metadata: { ...chaos('crashed', {}).metadata, finalizers: [RECORDS_FINALIZER] },
      status: { experiment: { desiredPhase: 'Run', containerRecords: [interrupted] } },
    });
    api.remove('default', 'crashed');
    await eventually(() => api.read('default', 'crashed') === undefined, { what: 'gone', intervalMs: 20 });
    expect(impl.calls.map(c => [c.op, c.phaseSeen])).toEqual([['recover', PHASE_INJECTED]]);
  });

  it('a vanished target counts as recovered, so deletion completes', async () => {
    const impl = createRecordingImpl({
      recover: ctx => {
        if (ctx.record.id.endsWith('target-0')) throw new ChaosplaneError('not-found', 'pod is gone');
      },
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('g', { count: 2 }));
    await eventually(() => allIn(api.read('default', 'g'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    api.remove('default', 'g');
    await eventually(() => api.read('default', 'g') === undefined, { what: 'gone', intervalMs: 20 });
    expect(running.events.some(e => e.reason === 'Recovered' && e.message.includes('target gone'))).toBe(
      true,
    );
  });

  it('forced clean removes only our finalizer while recovery keeps failing', async () => {
    const impl = createRecordingImpl({ recover: () => Promise.reject(new Error('cannot recover')) });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create({
      ...chaos('x', { count: 1 }),
      metadata: { ...chaos('x', {}).metadata, finalizers: ['other/f'] },
    });
    await eventually(() => allIn(api.read('default', 'x'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    api.remove('default', 'x');
    await eventually(() => impl.calls.some(c => c.op === 'recover'), {
      what: 'recover attempted',
      intervalMs: 20,
    });
    expect(api.read('default', 'x')?.metadata.finalizers).toContain(RECORDS_FINALIZER);
    api.annotate('default', 'x', { [CLEAN_FINALIZER_ANNOTATION]: 'forced' });
    const obj = await eventually(
      () => {
        const current = api.read('default', 'x');
        return current && !current.metadata.finalizers?.includes(RECORDS_FINALIZER) && current;
      },
      { what: 'finalizer removed', intervalMs: 20 },
    );
    expect(obj.metadata.finalizers).toEqual(['other/f']);
  });

  it('converges through write conflicts (409 → re-read → retry)', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.failNextWrites(5);
    api.create(chaos('c', { count: 3 }));
    await eventually(() => allIn(api.read('default', 'c'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    expect(
      impl.calls
        .filter(c => c.op === 'apply')
        .map(c => c.id)
        .sort(),
    ).toEqual(['default/target-0', 'default/target-1', 'default/target-2']);
  });

  it('drives plugin sub-phases: Not Injected/Wait is polled until Injected; deletion finishes the apply, then recovers', async () => {
    const waits = new Map<string, number>();
    const impl = createRecordingImpl({
      apply: ctx => {
        const id = ctx.record.id;
        const seen = waits.get(id) ?? 0;
        waits.set(id, seen + 1);
        // First call starts the injection; the second finds it done.
        return seen === 0 ? 'Not Injected/Wait' : PHASE_INJECTED;
      },
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('sub', { count: 2 }));
    await eventually(() => allIn(api.read('default', 'sub'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    const applies = impl.calls.filter(c => c.op === 'apply');
    expect(applies.map(c => c.phaseSeen).sort()).toEqual([
      PHASE_NOT_INJECTED,
      PHASE_NOT_INJECTED,
      'Not Injected/Wait',
      'Not Injected/Wait',
    ]);
    expect(records(api.read('default', 'sub')).map(r => r.injectedCount)).toEqual([1, 1]);
    api.remove('default', 'sub');
    await eventually(() => api.read('default', 'sub') === undefined, { what: 'gone', intervalMs: 20 });
  });

  it('deleted while a record waits in Not Injected/Wait: finishes the apply, then recovers at once', async () => {
    const impl = createRecordingImpl({
      // Every first apply only starts the injection; the next one finds it done.
      apply: ctx => (ctx.record.phase === 'Not Injected/Wait' ? PHASE_INJECTED : 'Not Injected/Wait'),
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('wait-del', { count: 2 }));
    await eventually(() => allIn(api.read('default', 'wait-del'), 'Not Injected/Wait'), {
      what: 'both records waiting',
      intervalMs: 20,
    });
    api.remove('default', 'wait-del');
    // No resync, no other event: the engine must go on by itself after the finishing apply.
    await eventually(() => api.read('default', 'wait-del') === undefined, { what: 'gone', intervalMs: 20 });
    const byRecord = (id: string) => impl.calls.filter(c => c.id === id).map(c => c.op);
    for (const id of ['default/target-0', 'default/target-1']) {
      const ops = byRecord(id);
      expect(ops.slice(-2)).toEqual(['apply', 'recover']);
      expect(ops.slice(0, -2).every(op => op === 'apply')).toBe(true);
    }
  });

  it('refuses a phase without the Injected / Not Injected prefix as a failed attempt', async () => {
    let calls = 0;
    const impl = createRecordingImpl({
      apply: () => {
        calls += 1;
        return calls === 1 ? 'Running' : PHASE_INJECTED;
      },
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('bad-phase', { count: 1 }));
    const obj = await eventually(
      () => {
        const current = api.read('default', 'bad-phase');
        return allIn(current, PHASE_INJECTED) && current;
      },
      { what: 'injected after the bad answer', intervalMs: 20 },
    );
    const [record] = records(obj);
    expect(record!.events?.[0]).toMatchObject({ type: 'Failed', operation: 'Apply' });
    expect(record!.events?.[0]?.message).toContain('"Running"');
  });

  it('a back-off earned by failing applies does not delay the recover of a deletion', async () => {
    const impl = createRecordingImpl({
      // The apply fails half-way: part of the fault is in place.
      apply: () => {
        throw Object.assign(new Error('half applied'), { phase: 'Injected/Partial' });
      },
    });
    // A long back-off: the next apply waits 30 s.
    running = runFakeEngine(impl, { recordBackoff: { baseMs: 30_000, maxMs: 60_000 } });
    const { api } = running;
    api.create(chaos('partial', { count: 1 }));
    await eventually(
      () => records(api.read('default', 'partial'))[0]?.events?.some(e => e.message === 'half applied'),
      { what: 'a failed apply left the record partly injected', intervalMs: 20 },
    );
    api.remove('default', 'partial');
    // The deletion's recover is another operation: it runs now, not after the apply's back-off.
    await eventually(() => api.read('default', 'partial') === undefined, {
      what: 'gone',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(impl.calls.at(-1)!.op).toBe('recover');
  });

  it('caps failure messages stored in the records', async () => {
    let calls = 0;
    const impl = createRecordingImpl({
      apply: () => {
        calls += 1;
        if (calls === 1) throw new Error('x'.repeat(10_000));
        return PHASE_INJECTED;
      },
    });
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('long-error', { count: 1 }));
    const obj = await eventually(
      () => {
        const current = api.read('default', 'long-error');
        return allIn(current, PHASE_INJECTED) && current;
      },
      { what: 'injected', intervalMs: 20 },
    );
    const message = records(obj)[0]!.events![0]!.message!;
    expect(message.length).toBeLessThanOrEqual(512);
    expect(message.endsWith('…')).toBe(true);
  });

  it("keeps a plugin's custom status fields (Chaos Mesh's custom status)", async () => {
    const impl = createRecordingImpl({
      apply: ctx => {
        const status = ctx.obj.status as Record<string, unknown>;
        status['instances'] = { ...(status['instances'] as object), [ctx.record.id]: 7 };
      },
    });
    running = runFakeEngine(impl);
    running.api.create(chaos('custom', { count: 2 }));
    const obj = await eventually(
      () => {
        const current = running!.api.read('default', 'custom');
        return allIn(current, PHASE_INJECTED) && current;
      },
      { what: 'injected', intervalMs: 20 },
    );
    expect(obj.status?.['instances']).toEqual({ 'default/target-0': 7, 'default/target-1': 7 });
  });

  it('applies with bounded parallelism', async () => {
    let active = 0;
    let peak = 0;
    const impl = createRecordingImpl({
      apply: async () => {
        active += 1;
        peak = Math.max(peak, active);
        await new Promise(resolve => setTimeout(resolve, 5));
        active -= 1;
      },
    });
    running = runFakeEngine(impl, { recordParallelism: 3 });
    running.api.create(chaos('par', { count: 20 }));
    await eventually(() => allIn(running!.api.read('default', 'par'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    expect(peak).toBe(3);
  });
});
