// SPDX-License-Identifier: Apache-2.0
// Negative control of readYourWrites.test.ts: with the engine's object access reading the
// informer only (its read-your-writes cache bypassed through a module mock), the same scenario
// applies target-1 again after it was injected. This keeps readYourWrites.test.ts honest: if
// this control stops failing the engine that way, the scenario no longer sets its trap.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { ObjectAccessOptions } from '../../src/pipeline/createObjectAccess.js';
import type { FakeEngine } from './support/runFakeEngine.js';

const real = await import('../../src/pipeline/createObjectAccess.js');
jest.unstable_mockModule('../../src/pipeline/createObjectAccess.js', () => ({
  ...real,
  createObjectAccess: (options: ObjectAccessOptions) => ({
    ...real.createObjectAccess(options),
    latest: (key: string) => options.informed(key),
  }),
}));
const { PHASE_INJECTED } = await import('@chaosplane/sdk');
const { runStaleInformerScenario, phaseOf } = await import('./support/staleInformerScenario.js');

let running: FakeEngine | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('read-your-writes scenario without the cache (negative control)', () => {
  it('reading the stale informer copy applies an injected record a second time', async () => {
    const run = await runStaleInformerScenario(started => (running = started));
    expect(phaseOf(run.atPassThree?.stored, 'default/target-1')).toBe(PHASE_INJECTED);
    expect(phaseOf(run.atPassThree?.informed, 'default/target-1')).toBe('Not Injected/Wait');
    // Wait, Injected, and then once more from the stale copy.
    expect(run.applies.get('default/target-1')).toBe(3);
  }, 20_000);
});
