// SPDX-License-Identifier: Apache-2.0
// Read-your-writes: a pass that starts while the informer lags behind the engine's own writes
// decides from what the engine last wrote, not from the informer's older copy. The scenario
// and its timeline are in support/staleInformerScenario.ts; readYourWritesControl.test.ts
// shows the same scenario applying a record twice when reads go to the informer only.
import { afterEach, describe, expect, it } from '@jest/globals';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import { RECORDS_FINALIZER } from '@chaosplane/sdk/framework';
import type { FakeEngine } from './support/runFakeEngine.js';
import { NAME, phaseOf, records, runStaleInformerScenario } from './support/staleInformerScenario.js';
import { eventually } from '@chaosplane/testing/helpers';

let running: FakeEngine | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('read-your-writes under a lagging watch', () => {
  it('a pass that starts before the informer caught up applies each record exactly once; deletion removes the finalizer', async () => {
    const run = await runStaleInformerScenario(started => (running = started));
    const { api } = run.running;

    // The trap was set: when pass 3 decided, the informer still showed target-1 waiting (with
    // our finalizer, so no step before the records had to write) while the API server already
    // had it injected.
    expect(run.atPassThree).toBeDefined();
    const { informed, stored } = run.atPassThree!;
    expect(phaseOf(stored, 'default/target-1')).toBe(PHASE_INJECTED);
    expect(phaseOf(informed, 'default/target-1')).toBe('Not Injected/Wait');
    expect(informed?.metadata.finalizers).toContain(RECORDS_FINALIZER);
    expect(Number(informed!.metadata.resourceVersion)).toBeLessThan(Number(stored!.metadata.resourceVersion));

    // Each record was applied until it was injected, and never after.
    expect(Object.fromEntries(run.applies)).toEqual({ 'default/target-0': 3, 'default/target-1': 2 });
    expect(records(api.read('default', NAME)).map(r => [r.id, r.injectedCount])).toEqual([
      ['default/target-0', 1],
      ['default/target-1', 1],
    ]);

    api.remove('default', NAME);
    await eventually(() => api.read('default', NAME) === undefined, {
      what: 'gone (our finalizer removed)',
      intervalMs: 20,
    });
    expect(
      run.calls
        .filter(c => c.op === 'recover')
        .map(c => c.id)
        .sort(),
    ).toEqual(['default/target-0', 'default/target-1']);
    expect(run.calls.filter(c => c.op === 'apply')).toHaveLength(5);
    expect(run.running.events.filter(e => e.reason === 'FinalizerRemoved')).toHaveLength(1);
  }, 20_000);
});
