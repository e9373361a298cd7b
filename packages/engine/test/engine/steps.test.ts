// SPDX-License-Identifier: Apache-2.0
// The pure rules of the pipeline steps.
import { describe, expect, it } from '@jest/globals';
import { CLEAN_FINALIZER_ANNOTATION, PAUSE_ANNOTATION, RECORDS_FINALIZER } from '@chaosplane/sdk/framework';
import { PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { computeConditions } from '../../src/steps/conditions.js';
import { computeDesiredPhase } from '../../src/steps/desiredPhase.js';
import { finalizersToClean, finalizersToInit } from '../../src/steps/finalizers.js';
import {
  LEGACY_PHASE_APPLYING,
  LEGACY_PHASE_RECOVERING,
  markerFor,
  nextOperation,
  presentedPhase,
} from '../../src/steps/recordPhases.js';
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
    metadata: {
      name: 'x',
      namespace: 'default',
      creationTimestamp: new Date(created).toISOString(),
      ...meta,
    },
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
    const deleted = { deletionTimestamp: new Date(created + 1).toISOString() };
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
  const at = (phase: string, inFlight?: 'Apply' | 'Recover') => (inFlight ? { phase, inFlight } : { phase });
  const applying = at(PHASE_NOT_INJECTED, 'Apply');
  const recovering = at(PHASE_INJECTED, 'Recover');

  it('chooses apply or recover by the prefix rule, recovering an uncertain apply on Stop', () => {
    expect(nextOperation(at(PHASE_NOT_INJECTED), 'Run')).toBe('apply');
    expect(nextOperation(at(PHASE_INJECTED), 'Run')).toBeUndefined();
    expect(nextOperation(at('Injected/Wait'), 'Run')).toBe('recover');
    expect(nextOperation(at('Not Injected/Wait'), 'Stop')).toBe('apply');
    expect(nextOperation(at(PHASE_NOT_INJECTED), 'Stop')).toBeUndefined();
    expect(nextOperation(at(PHASE_INJECTED), 'Stop')).toBe('recover');
    expect(nextOperation(applying, 'Run')).toBe('apply');
    expect(nextOperation(applying, 'Stop')).toBe('recover');
    expect(nextOperation(recovering, 'Stop')).toBe('recover');
    expect(nextOperation(recovering, 'Run')).toBe('recover');
  });

  it('reads the marker sub-phases older versions wrote the same way', () => {
    expect(nextOperation(at(LEGACY_PHASE_APPLYING), 'Run')).toBe('apply');
    expect(nextOperation(at(LEGACY_PHASE_APPLYING), 'Stop')).toBe('recover');
    expect(nextOperation(at(LEGACY_PHASE_RECOVERING), 'Stop')).toBe('recover');
    expect(nextOperation(at(LEGACY_PHASE_RECOVERING), 'Run')).toBe('recover');
    expect(markerFor(at(LEGACY_PHASE_APPLYING), 'recover')).toBe('Recover');
    expect(presentedPhase(at(LEGACY_PHASE_APPLYING), 'apply')).toBe(PHASE_NOT_INJECTED);
    expect(presentedPhase(at(LEGACY_PHASE_APPLYING), 'recover')).toBe(PHASE_INJECTED);
    expect(presentedPhase(at(LEGACY_PHASE_RECOVERING), 'recover')).toBe(PHASE_INJECTED);
  });

  it('marks only calls from base phases, never changes the phase, and shows plugins what may be in place', () => {
    expect(markerFor(at(PHASE_NOT_INJECTED), 'apply')).toBe('Apply');
    expect(markerFor(at(PHASE_INJECTED), 'recover')).toBe('Recover');
    expect(markerFor(at('Not Injected/Wait'), 'apply')).toBeUndefined();
    expect(markerFor(applying, 'recover')).toBe('Recover');
    expect(presentedPhase(applying, 'apply')).toBe(PHASE_NOT_INJECTED);
    expect(presentedPhase(applying, 'recover')).toBe(PHASE_INJECTED);
    expect(presentedPhase(recovering, 'recover')).toBe(PHASE_INJECTED);
    expect(presentedPhase(at('Injected/Wait'), 'recover')).toBe('Injected/Wait');
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
    const recovered = obj({}, {}, [PHASE_NOT_INJECTED, PHASE_NOT_INJECTED]).status!.experiment!
      .containerRecords!;
    expect(computeConditions(recovered, false)[2]).toEqual({ type: 'AllRecovered', status: 'True' });
    recovered[1]!.inFlight = 'Recover';
    expect(computeConditions(recovered, false)[2]).toEqual({ type: 'AllRecovered', status: 'False' });
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
    expect(finalizersToInit(obj({}, { deletionTimestamp: new Date().toISOString() }))).toBeUndefined();
  });

  it('removes only ours, when every record is exactly Not Injected with no call in flight, or on forced clean', () => {
    const deleting = {
      deletionTimestamp: new Date().toISOString(),
      finalizers: ['a', RECORDS_FINALIZER, 'b'],
    };
    expect(finalizersToClean(obj({}, deleting, [PHASE_NOT_INJECTED]))).toEqual({
      finalizers: ['a', 'b'],
      reason: 'AllRecovered',
    });
    expect(finalizersToClean(obj({}, deleting, ['Not Injected/Wait']))).toBeUndefined();
    expect(finalizersToClean(obj({}, deleting, [LEGACY_PHASE_APPLYING]))).toBeUndefined();
    // A failed or cut-off call keeps its marker with the `Not Injected` phase: it may have taken
    // effect, so the object is held until a recover succeeds.
    const uncertain = (inFlight: 'Apply' | 'Recover') => {
      const held = obj({}, deleting, [PHASE_NOT_INJECTED]);
      held.status!.experiment!.containerRecords![0]!.inFlight = inFlight;
      return held;
    };
    expect(finalizersToClean(uncertain('Apply'))).toBeUndefined();
    expect(finalizersToClean(uncertain('Recover'))).toBeUndefined();
    const forced = { ...deleting, annotations: { [CLEAN_FINALIZER_ANNOTATION]: 'forced' } };
    expect(finalizersToClean(obj({}, forced, [PHASE_INJECTED]))?.reason).toBe('Forced');
    expect(finalizersToClean(obj({}, { finalizers: [RECORDS_FINALIZER] }, []))).toBeUndefined();
  });
});
