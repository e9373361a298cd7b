// SPDX-License-Identifier: Apache-2.0
// The pure rules of the pipeline steps.
import { describe, expect, it } from '@jest/globals';
import {
  CLEAN_FINALIZER_ANNOTATION,
  PAUSE_ANNOTATION,
  PHASE_APPLYING,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  PHASE_RECOVERING,
  RECORDS_FINALIZER,
  computeConditions,
  computeDesiredPhase,
  finalizersToClean,
  finalizersToInit,
  markerFor,
  nextOperation,
  presentedPhase,
  type ChaosObject,
} from '@chaosplane/core';
import { testKind } from './support/testKind.js';

const created = Date.parse('2026-01-01T00:00:00Z');
const obj = (
  spec: Record<string, unknown>,
  meta: Partial<ChaosObject['metadata']> = {},
  phases: string[] = [],
) =>
  ({
    apiVersion: testKind.apiVersion,
    kind: testKind.kind,
    metadata: { name: 'x', namespace: 'default', creationTimestamp: new Date(created), ...meta },
    spec,
    status: {
      experiment: {
        containerRecords: phases.map((phase, i) => ({
          id: `r${i}`,
          selectorKey: '.',
          phase,
          injectedCount: 0,
          recoveredCount: 0,
        })),
      },
    },
  }) as ChaosObject;

describe('desired phase', () => {
  it('follows Chaos Mesh order: deleted, one-shot, expired, paused, run', () => {
    const paused = { annotations: { [PAUSE_ANNOTATION]: 'true' } };
    const deleted = { deletionTimestamp: new Date(created + 1) };
    expect(computeDesiredPhase(testKind, obj({ count: 1 }), created).phase).toBe('Run');
    expect(computeDesiredPhase(testKind, obj({ count: 1 }, paused), created)).toEqual({
      phase: 'Stop',
      reason: 'Paused',
    });
    expect(computeDesiredPhase(testKind, obj({ count: 1, oneShot: true }, paused), created).reason).toBe(
      'OneShot',
    );
    expect(computeDesiredPhase(testKind, obj({ count: 1, oneShot: true }, deleted), created).reason).toBe(
      'Deleted',
    );
    const running = computeDesiredPhase(
      testKind,
      obj({ count: 1, duration: '90s' }, paused),
      created + 1_000,
    );
    expect(running).toEqual({ phase: 'Stop', reason: 'Paused', expiresAt: created + 90_000 });
    expect(computeDesiredPhase(testKind, obj({ count: 1, duration: '90s' }), created + 90_000).reason).toBe(
      'TimeUp',
    );
    // A duration that does not parse counts as no duration (validation reports it).
    expect(computeDesiredPhase(testKind, obj({ count: 1, duration: 'soon' }), created + 1e9).phase).toBe(
      'Run',
    );
  });
});

describe('record phases', () => {
  it('chooses apply or recover by the prefix rule, recovering an uncertain apply on Stop', () => {
    expect(nextOperation(PHASE_NOT_INJECTED, 'Run')).toBe('apply');
    expect(nextOperation(PHASE_INJECTED, 'Run')).toBeUndefined();
    expect(nextOperation('Injected/Wait', 'Run')).toBe('recover');
    expect(nextOperation('Not Injected/Wait', 'Stop')).toBe('apply');
    expect(nextOperation(PHASE_NOT_INJECTED, 'Stop')).toBeUndefined();
    expect(nextOperation(PHASE_INJECTED, 'Stop')).toBe('recover');
    expect(nextOperation(PHASE_APPLYING, 'Run')).toBe('apply');
    expect(nextOperation(PHASE_APPLYING, 'Stop')).toBe('recover');
    expect(nextOperation(PHASE_RECOVERING, 'Stop')).toBe('recover');
    expect(nextOperation(PHASE_RECOVERING, 'Run')).toBe('recover');
  });

  it('writes markers only over base phases and hides them from plugins', () => {
    expect(markerFor(PHASE_NOT_INJECTED, 'apply')).toBe(PHASE_APPLYING);
    expect(markerFor(PHASE_INJECTED, 'recover')).toBe(PHASE_RECOVERING);
    expect(markerFor('Not Injected/Wait', 'apply')).toBeUndefined();
    expect(presentedPhase(PHASE_APPLYING, 'apply')).toBe(PHASE_NOT_INJECTED);
    expect(presentedPhase(PHASE_APPLYING, 'recover')).toBe(PHASE_INJECTED);
    expect(presentedPhase(PHASE_RECOVERING, 'recover')).toBe(PHASE_INJECTED);
    expect(presentedPhase('Injected/Wait', 'recover')).toBe('Injected/Wait');
  });
});

describe('conditions', () => {
  it('derives the four conditions and carries the selection reason', () => {
    const records = obj({}, {}, [PHASE_INJECTED, PHASE_INJECTED]).status!.experiment!.containerRecords;
    expect(computeConditions(records, false).map(c => `${c.type}=${c.status}`)).toEqual([
      'Selected=True',
      'AllInjected=True',
      'AllRecovered=False',
      'Paused=False',
    ]);
    expect(computeConditions(undefined, true, { reason: 'NoTargets', message: 'none' })[0]).toEqual({
      type: 'Selected',
      status: 'False',
      reason: 'NoTargets',
      message: 'none',
    });
  });
});

describe('finalizers', () => {
  it('adds ours once, never while deleting', () => {
    expect(finalizersToInit(obj({}, { finalizers: ['a'] }))).toEqual(['a', RECORDS_FINALIZER]);
    expect(finalizersToInit(obj({}, { finalizers: [RECORDS_FINALIZER] }))).toBeUndefined();
    expect(finalizersToInit(obj({}, { deletionTimestamp: new Date() }))).toBeUndefined();
  });

  it('removes only ours, when every record is exactly Not Injected or on forced clean', () => {
    const deleting = { deletionTimestamp: new Date(), finalizers: ['a', RECORDS_FINALIZER, 'b'] };
    expect(finalizersToClean(obj({}, deleting, [PHASE_NOT_INJECTED]))).toEqual({
      finalizers: ['a', 'b'],
      reason: 'AllRecovered',
    });
    expect(finalizersToClean(obj({}, deleting, ['Not Injected/Wait']))).toBeUndefined();
    expect(finalizersToClean(obj({}, deleting, [PHASE_APPLYING]))).toBeUndefined();
    const forced = { ...deleting, annotations: { [CLEAN_FINALIZER_ANNOTATION]: 'forced' } };
    expect(finalizersToClean(obj({}, forced, [PHASE_INJECTED]))?.reason).toBe('Forced');
    expect(finalizersToClean(obj({}, { finalizers: [RECORDS_FINALIZER] }, []))).toBeUndefined();
  });
});
