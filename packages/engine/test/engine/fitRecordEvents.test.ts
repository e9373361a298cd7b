// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { fitRecordEvents } from '../../src/pipeline/fitRecordEvents.js';
import { type ContainerRecord } from '@chaosplane/sdk';

const record = (i: number, events: number): ContainerRecord => ({
  id: `ns/pod-${i}/c`,
  selectorKey: '.',
  phase: 'Injected',
  injectedCount: 1,
  recoveredCount: 0,
  events: Array.from({ length: events }, (_, e) => ({
    type: 'Failed' as const,
    operation: 'Apply' as const,
    message: `attempt ${e}: ${'x'.repeat(400)}`,
    timestamp: '2026-11-27T10:00:00Z',
  })),
});

describe('fitRecordEvents', () => {
  it('leaves a list that fits unchanged', () => {
    const records = [record(0, 3), record(1, 3)];
    expect(fitRecordEvents(records)).toBe(records);
  });

  it('keeps the newest events and every phase and count when the list is too big', () => {
    const records = Array.from({ length: 1_000 }, (_, i) => record(i, 10)); // ~4.3 MB
    const fitted = fitRecordEvents(records);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(1024 * 1024);
    expect(fitted.map(r => [r.id, r.phase, r.injectedCount])).toEqual(
      records.map(r => [r.id, r.phase, r.injectedCount]),
    );
    const kept = fitted[0]!.events!;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.at(-1)!.message).toMatch(/^attempt 9:/); // the newest survives
  });

  it('drops every event rather than a record', () => {
    const records = Array.from({ length: 20_000 }, (_, i) => record(i, 1));
    const fitted = fitRecordEvents(records, 2_000_000);
    expect(fitted).toHaveLength(20_000);
    expect(fitted.every(r => r.events?.length === 0)).toBe(true);
  });
});
