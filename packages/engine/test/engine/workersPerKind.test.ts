// SPDX-License-Identifier: Apache-2.0
// `workersPerKind`: how many chaos objects of one kind are reconciled at once. Asserted on
// whether two objects' apply calls overlap in time, never on how long they took.
import { afterEach, describe, expect, it } from '@jest/globals';
import { PHASE_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { chaos, runFakeEngine, type FakeEngine } from './support/runFakeEngine.js';
import { createRecordingImpl } from './support/testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

let running: FakeEngine | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const injected = (obj: ChaosObject | undefined) =>
  (obj?.status?.experiment?.containerRecords ?? []).some(r => r.phase === PHASE_INJECTED);

/** Runs two one-target objects whose applies take ~500 ms; returns each apply's span by object. */
async function applySpans(workersPerKind: number) {
  const spans = new Map<string, { start: number; end: number }>();
  const impl = createRecordingImpl({
    apply: async ctx => {
      const start = performance.now();
      await new Promise(resolve => setTimeout(resolve, 500));
      spans.set(ctx.obj.metadata.name!, { start, end: performance.now() });
    },
  });
  running = runFakeEngine(impl, {
    workersPerKind,
    // Both exist before the engine starts: the first list hands both keys to the queue at once.
    beforeStart: api => {
      api.create(chaos('first', { count: 1 }));
      api.create(chaos('second', { count: 1 }));
    },
  });
  const { api } = running;
  await eventually(() => injected(api.read('default', 'first')) && injected(api.read('default', 'second')), {
    what: 'both injected',
    intervalMs: 20,
  });
  expect(impl.calls.filter(c => c.op === 'apply')).toHaveLength(2);
  return { first: spans.get('first')!, second: spans.get('second')! };
}

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  a.start < b.end && b.start < a.end;

describe('workersPerKind', () => {
  it('with 2 workers, two objects are reconciled at the same time (their applies overlap)', async () => {
    const { first, second } = await applySpans(2);
    expect(overlap(first, second)).toBe(true);
  });

  it('with 1 worker, one object at a time (the second apply starts after the first ended)', async () => {
    const { first, second } = await applySpans(1);
    expect(overlap(first, second)).toBe(false);
    const [earlier, later] = first.start < second.start ? [first, second] : [second, first];
    expect(later.start).toBeGreaterThanOrEqual(earlier.end);
  });
});
