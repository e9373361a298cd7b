// SPDX-License-Identifier: Apache-2.0
// The engine's clock: the manual clock tests use, and the engine's durations on it. A duration
// of ten minutes ends when the clock says so, not after ten minutes of real time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { eventually } from '@chaosplane/testing/helpers';
import { createManualClock, systemClock } from '../../src/clock/clock.js';
import { createWorkQueue } from '../../src/queue/createWorkQueue.js';
import { startTestCluster, type TestCluster } from './support/emulator.js';
import { runEngine } from './support/runEngine.js';
import { createRecordingImpl } from './support/testKind.js';

describe('manual clock', () => {
  it('fires timers in time order when advanced, and never before', () => {
    const clock = createManualClock({ start: 1_000_000, flowing: false });
    const fired: string[] = [];
    clock.setTimer(1_000_000 + 5_000, () => fired.push('5s'));
    clock.setTimer(1_000_000 + 1_000, () => fired.push('1s'));
    const cancel = clock.setTimer(1_000_000 + 3_000, () => fired.push('3s'));
    cancel();
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(10_000);
    expect(fired).toEqual(['1s', '5s']);
    expect(clock.now()).toBe(1_000_000 + 10_999);
    expect(clock.pending()).toBe(0);
  });

  it('flows with real time by default, advance only skips ahead', async () => {
    const clock = createManualClock();
    const before = clock.now();
    clock.advance(3_600_000);
    expect(clock.now() - before).toBeGreaterThanOrEqual(3_600_000);
    const fired = new Promise<number>(resolve =>
      clock.setTimer(clock.now() + 30, () => resolve(clock.now())),
    );
    const at = await fired;
    expect(at - before).toBeGreaterThanOrEqual(3_600_030);
  });

  it('a due timer fires in a later task, never inside setTimer', async () => {
    for (const clock of [createManualClock({ flowing: false }), systemClock]) {
      let fired = false;
      const done = new Promise<void>(resolve =>
        clock.setTimer(clock.now() - 1, () => {
          fired = true;
          resolve();
        }),
      );
      expect(fired).toBe(false);
      await done;
      expect(fired).toBe(true);
    }
  });

  it("the work queue's delayed adds wait on the clock", async () => {
    const clock = createManualClock({ flowing: false });
    const queue = createWorkQueue<string>({ clock });
    queue.addAfter('later', 60_000);
    expect(queue.delayed()).toBe(1);
    clock.advance(59_999);
    expect(queue.depth()).toBe(0);
    clock.advance(1);
    expect(queue.depth()).toBe(1);
    expect(await queue.get()).toBe('later');
    queue.shutDown();
  });
});

describe('engine durations on a manual clock', () => {
  const clock = createManualClock();
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ now: clock.now });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const phases = (obj: ChaosObject | undefined) =>
    (obj?.status?.experiment?.containerRecords ?? []).map(r => r.phase);

  it('a 10m experiment recovers when the clock passes 10m, without waiting for it', async () => {
    const impl = createRecordingImpl();
    const running = runEngine(cluster, impl, { clock });
    try {
      await cluster.create('ten-minutes', { count: 2, duration: '10m' });
      await eventually(
        async () => {
          const p = phases(await cluster.get('ten-minutes'));
          return p.length === 2 && p.every(x => x === PHASE_INJECTED);
        },
        { what: 'injected', intervalMs: 20 },
      );
      clock.advance(9 * 60_000);
      await new Promise(resolve => setTimeout(resolve, 200));
      expect(phases(await cluster.get('ten-minutes'))).toEqual([PHASE_INJECTED, PHASE_INJECTED]);
      clock.advance(60_000 + 1_000);
      const obj = await eventually(
        async () => {
          const current = await cluster.get('ten-minutes');
          return phases(current).every(x => x === PHASE_NOT_INJECTED) && current;
        },
        { what: 'recovered', intervalMs: 20, timeoutMs: 5_000 },
      );
      expect(obj.status?.experiment?.desiredPhase).toBe('Stop');
      expect(impl.calls.filter(c => c.op === 'recover')).toHaveLength(2);
    } finally {
      await running.stop();
    }
  });
});
