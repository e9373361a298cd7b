// SPDX-License-Identifier: Apache-2.0
// The per-record phase rule, with the engine's write-ahead marker.
//
// Why a marker: an apply that took effect but whose `Injected` was never written (a crash, a
// lost status write) must not be forgotten, or a later Stop would see `Not Injected` and leave
// the fault in place. So before the engine calls apply on a record that is exactly
// `Not Injected` it persists `inFlight: Apply` on the record, and before recover on an exactly
// `Injected` record `inFlight: Recover`. The phase itself stays a Chaos Mesh phase: users and
// plugins see `Not Injected` while the first apply runs, and `inFlight` says a call is under
// way. (Sub-phases a plugin returns already say "unfinished", so they need no marker.)
//
// Versions before the marker field persisted it as the sub-phases `Not Injected/Applying` and
// `Injected/Recovering`; records still carrying them are read the same way.
import {
  isNotInjectedPhase,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  subPhase,
  type ContainerRecord,
} from '@chaosplane/sdk';
import type { DesiredPhase } from '@chaosplane/sdk/framework';

/** The marker sub-phase older versions persisted before apply. */
export const LEGACY_PHASE_APPLYING = subPhase(PHASE_NOT_INJECTED, 'Applying');
/** The marker sub-phase older versions persisted before recover. */
export const LEGACY_PHASE_RECOVERING = subPhase(PHASE_INJECTED, 'Recovering');

/** What to call next for a record. */
export type RecordOperation = 'apply' | 'recover';

/** The parts of a record the phase rule reads. */
export type RecordState = Pick<ContainerRecord, 'phase' | 'inFlight'>;

/** The call whose outcome is unknown (a crash interrupted it), if any. */
function interrupted(record: RecordState): RecordOperation | undefined {
  if (record.inFlight === 'Apply' || record.phase === LEGACY_PHASE_APPLYING) return 'apply';
  if (record.inFlight === 'Recover' || record.phase === LEGACY_PHASE_RECOVERING) return 'recover';
  return undefined;
}

/**
 * Chaos Mesh's rule (`Not Injected → Not Injected/* → Injected → Injected/* → Not Injected`):
 * with Run, a record not exactly `Injected` is applied if its phase has the `Not Injected`
 * prefix, else recovered first; with Stop, a record not exactly `Not Injected` is applied if it
 * has the `Not Injected` prefix (a plugin's unfinished apply), else recovered. A record with a
 * call in flight is uncertain: an interrupted apply is applied again under Run and recovered
 * under Stop (there is no reason to finish injecting something that should stop); an
 * interrupted recover is recovered again.
 */
export function nextOperation(record: RecordState, desired: DesiredPhase): RecordOperation | undefined {
  const unknown = interrupted(record);
  if (unknown === 'recover') return 'recover';
  if (unknown === 'apply') return desired === 'Run' ? 'apply' : 'recover';
  if (desired === 'Run') {
    if (record.phase === PHASE_INJECTED) return undefined;
    return isNotInjectedPhase(record.phase) ? 'apply' : 'recover';
  }
  if (record.phase === PHASE_NOT_INJECTED) return undefined;
  return isNotInjectedPhase(record.phase) ? 'apply' : 'recover';
}

/** The marker to persist before `operation`, if the record is in a base phase (else none). */
export function markerFor(record: RecordState, operation: RecordOperation): ContainerRecord['inFlight'] {
  if (operation === 'apply' && (record.phase === PHASE_NOT_INJECTED || record.inFlight === 'Apply'))
    return 'Apply';
  if (operation === 'recover' && (record.phase === PHASE_INJECTED || record.inFlight !== undefined))
    return 'Recover';
  if (record.phase === LEGACY_PHASE_APPLYING) return operation === 'apply' ? 'Apply' : 'Recover';
  if (record.phase === LEGACY_PHASE_RECOVERING) return 'Recover';
  return undefined;
}

/**
 * The phase a plugin sees: legacy markers are shown as the base phase they stand for (an
 * interrupted apply being recovered is shown as `Injected`, since it may have taken effect).
 */
export function presentedPhase(record: RecordState, operation: RecordOperation): string {
  if (record.phase === LEGACY_PHASE_APPLYING || (record.inFlight === 'Apply' && operation === 'recover'))
    return operation === 'apply' ? PHASE_NOT_INJECTED : PHASE_INJECTED;
  if (record.phase === LEGACY_PHASE_RECOVERING) return PHASE_INJECTED;
  return record.phase;
}
