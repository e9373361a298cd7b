// SPDX-License-Identifier: Apache-2.0
// Kubernetes Events and Prometheus metrics the engine produces over a lifecycle (in-memory API).
// Applied, Recovered, FinalizerInited, FinalizerRemoved, Deleted and Paused are asserted in
// pipeline.test.ts; Started in lifecycle.test.ts.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Registry } from 'prom-client';
import { ChaosplaneError, PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { createEventRecorder } from '../../src/events/createEventRecorder.js';
import { chaos, runFakeEngine, type FakeEngine } from './support/runFakeEngine.js';
import { createRecordingImpl, testKind } from './support/testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

let running: FakeEngine | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const records = (obj: ChaosObject | undefined) => obj?.status?.experiment?.containerRecords ?? [];
const allIn = (obj: ChaosObject | undefined, phase: string) =>
  records(obj).length > 0 && records(obj).every(r => r.phase === phase);

/** The value of one series (`name` as exposed, e.g. a histogram's `_count`) with exactly these labels. */
async function sample(
  registry: Registry,
  metric: string,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const found = (await registry.getMetricsAsJSON()).find(m => m.name === metric);
  if (!found) throw new Error(`metric ${metric} is not registered`);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const value = found.values.find(
    v =>
      ((v as { metricName?: string }).metricName ?? metric) === name &&
      !('le' in v.labels) &&
      JSON.stringify(Object.entries(v.labels).sort()) === wanted,
  );
  return value?.value;
}

const KIND = testKind.kind;
const OPERATIONS = 'chaosplane_record_operations_total';
const DURATIONS = 'chaosplane_record_operation_duration_seconds';

describe('Kubernetes Events', () => {
  it('TimeUp when the duration expires: the desired phase turns Stop and every record is recovered', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api } = running;
    api.create(chaos('expiring', { count: 2, duration: '1s' }));
    await eventually(() => allIn(api.read('default', 'expiring'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    const expired = await eventually(
      () => {
        const obj = api.read('default', 'expiring');
        return allIn(obj, PHASE_NOT_INJECTED) && obj;
      },
      { what: 'recovered after the duration', intervalMs: 20 },
    );
    expect(expired.status?.experiment?.desiredPhase).toBe('Stop');
    const timeUp = await eventually(() => running!.events.find(e => e.reason === 'TimeUp'), {
      what: 'TimeUp event',
      intervalMs: 20,
    });
    expect(timeUp).toMatchObject({ type: 'Normal', involvedObject: { name: 'expiring', kind: KIND } });
    expect(timeUp.message).toContain('Stop');
    expect(impl.calls.map(c => c.op).sort()).toEqual(['apply', 'apply', 'recover', 'recover']);
    // Expiry is not a pause: nothing says Paused.
    expect(running.events.some(e => e.reason === 'Paused')).toBe(false);
  });
});

describe('Event aggregation', () => {
  const objectOf = (name: string): ChaosObject => ({
    apiVersion: testKind.apiVersion,
    kind: KIND,
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {},
  });

  it('counts repeats of an identical event on the first one, as client-go does; a new message is a new event', async () => {
    const writes: string[] = [];
    const recorder = createEventRecorder({
      api: {
        create: event => Promise.resolve(void writes.push(`create ${event.message} count=${event.count}`)),
        repeat: ({ count }) => Promise.resolve(void writes.push(`repeat count=${count}`)),
      },
    });
    for (let i = 0; i < 5; i += 1) recorder.emit(objectOf('x'), 'Warning', 'Failed', 'apply x: boom');
    recorder.emit(objectOf('x'), 'Warning', 'Failed', 'apply x: other');
    recorder.emit(objectOf('y'), 'Warning', 'Failed', 'apply x: boom');
    await recorder.flush();
    expect(writes).toEqual([
      'create apply x: boom count=1',
      'create apply x: other count=1',
      'create apply x: boom count=1',
      'repeat count=2',
      'repeat count=3',
      'repeat count=4',
      'repeat count=5',
    ]);
  });

  it('writes the event again when it expired on the server, and after the window a repeat is a new event', async () => {
    const writes: string[] = [];
    let expired = false;
    const recorder = createEventRecorder({
      aggregationWindowMs: 100,
      api: {
        create: event => Promise.resolve(void writes.push(`create ${event.metadata.name}`)),
        repeat: ({ name, count }) =>
          expired
            ? Promise.reject(new ChaosplaneError('not-found', `events "${name}" not found`))
            : Promise.resolve(void writes.push(`repeat ${name} ${count}`)),
      },
    });
    const emit = () => recorder.emit(objectOf('z'), 'Normal', 'Applied', 'default/target-0');
    emit();
    await recorder.flush();
    const [first] = writes.map(w => w.split(' ')[1]);
    expired = true;
    emit();
    await recorder.flush();
    expect(writes).toEqual([`create ${first}`, `create ${first}`]);
    await new Promise(resolve => setTimeout(resolve, 150));
    expired = false;
    emit();
    await recorder.flush();
    expect(writes).toHaveLength(3);
    expect(writes[2]).not.toBe(`create ${first}`);
  });

  it('a persistent failure is one Warning event per record with a growing count, not one object per attempt', async () => {
    const impl = createRecordingImpl({
      apply: () => {
        throw new Error('the fault cannot be injected here');
      },
    });
    running = runFakeEngine(impl);
    running.api.create(chaos('stuck', { count: 2 }));
    await eventually(() => impl.calls.filter(c => c.op === 'apply').length >= 8, { what: 'eight attempts' });
    const failed = running.events.filter(e => e.reason === 'Failed');
    expect(failed).toHaveLength(2);
    expect(failed.map(e => e.message).sort()).toEqual([
      'apply default/target-0: the fault cannot be injected here',
      'apply default/target-1: the fault cannot be injected here',
    ]);
    expect(Math.min(...failed.map(e => e.count))).toBeGreaterThanOrEqual(3);
  });
});

describe('metrics', () => {
  it('counts and times every apply and recover of a lifecycle by kind and operation', async () => {
    const impl = createRecordingImpl({ delayMs: 5 });
    running = runFakeEngine(impl);
    const { api, engine } = running;
    const registry = engine.metrics.registry;
    api.create(chaos('measured', { count: 3 }));
    await eventually(() => allIn(api.read('default', 'measured'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    api.remove('default', 'measured');
    await eventually(() => api.read('default', 'measured') === undefined, { what: 'gone', intervalMs: 20 });

    for (const operation of ['apply', 'recover']) {
      expect(
        await sample(registry, OPERATIONS, OPERATIONS, { kind: KIND, operation, result: 'success' }),
      ).toBe(3);
      expect(await sample(registry, OPERATIONS, OPERATIONS, { kind: KIND, operation, result: 'error' })).toBe(
        undefined,
      );
      expect(await sample(registry, DURATIONS, `${DURATIONS}_count`, { kind: KIND, operation })).toBe(3);
      // Each call waited 5 ms: the sum is above zero (no upper bound: the machine may be slow).
      expect(
        await sample(registry, DURATIONS, `${DURATIONS}_sum`, { kind: KIND, operation }),
      ).toBeGreaterThan(0);
    }
    expect(
      await sample(
        registry,
        'chaosplane_reconcile_duration_seconds',
        'chaosplane_reconcile_duration_seconds_count',
        {
          kind: KIND,
        },
      ),
    ).toBeGreaterThan(0);
    expect(
      await sample(registry, 'chaosplane_reconcile_errors_total', 'chaosplane_reconcile_errors_total', {
        kind: KIND,
      }),
    ).toBe(undefined);
  });

  it('a failing apply is counted with result "error" and still timed', async () => {
    let failures = 0;
    const impl = createRecordingImpl({
      apply: () => {
        if (failures < 2) {
          failures += 1;
          throw new Error('daemon unreachable');
        }
      },
    });
    running = runFakeEngine(impl);
    const { api, engine } = running;
    const registry = engine.metrics.registry;
    api.create(chaos('flaky', { count: 1 }));
    await eventually(() => allIn(api.read('default', 'flaky'), PHASE_INJECTED), {
      what: 'injected after two failures',
      intervalMs: 20,
    });
    const labels = { kind: KIND, operation: 'apply' };
    expect(await sample(registry, OPERATIONS, OPERATIONS, { ...labels, result: 'error' })).toBe(2);
    expect(await sample(registry, OPERATIONS, OPERATIONS, { ...labels, result: 'success' })).toBe(1);
    expect(await sample(registry, DURATIONS, `${DURATIONS}_count`, labels)).toBe(3);
    // A failing record is the plugin's failure, not a failed reconcile.
    expect(
      await sample(registry, 'chaosplane_reconcile_errors_total', 'chaosplane_reconcile_errors_total', {
        kind: KIND,
      }),
    ).toBe(undefined);
  });

  it('a reconcile that fails (a write still conflicting after every retry) counts a reconcile error, then converges', async () => {
    const impl = createRecordingImpl();
    running = runFakeEngine(impl);
    const { api, engine } = running;
    const registry = engine.metrics.registry;
    // A write gives up after 8 conflicts (createObjectAccess's default maxAttempts): the first
    // pass's finalizer write fails, the retried pass gets through after one more conflict.
    api.failNextWrites(9);
    api.create(chaos('contended', { count: 1 }));
    await eventually(() => allIn(api.read('default', 'contended'), PHASE_INJECTED), {
      what: 'injected',
      intervalMs: 20,
    });
    expect(
      await sample(registry, 'chaosplane_reconcile_errors_total', 'chaosplane_reconcile_errors_total', {
        kind: KIND,
      }),
    ).toBe(1);
    expect(
      await sample(registry, 'chaosplane_writes_total', 'chaosplane_writes_total', {
        kind: KIND,
        target: 'object',
        outcome: 'conflict',
      }),
    ).toBe(9);
    expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(1);
  });
});
