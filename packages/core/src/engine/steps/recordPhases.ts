// SPDX-License-Identifier: Apache-2.0
// The per-record phase rule, with the engine's two write-ahead markers.
//
// Why markers: an apply that took effect but whose `Injected` was never written (a crash, a
// lost status write) must not be forgotten, or a later Stop would see `Not Injected` and leave
// the fault in place. So before the engine calls apply on a record that is exactly
// `Not Injected` it persists `Not Injected/Applying`, and before recover on an exactly
// `Injected` record it persists `Injected/Recovering`. The markers keep the phase prefixes, so
// Chaos Mesh's prefix rule still reads them correctly; plugins never see them (the engine
// presents `Not Injected` / `Injected` instead).
import { PHASE_INJECTED, PHASE_NOT_INJECTED, isNotInjectedPhase, subPhase } from '../../api/phase.js';
import type { DesiredPhase } from '../../api/status.js';

/** Persisted before apply: the apply may have taken effect. */
export const PHASE_APPLYING = subPhase(PHASE_NOT_INJECTED, 'Applying');
/** Persisted before recover: the recover may have taken effect. */
export const PHASE_RECOVERING = subPhase(PHASE_INJECTED, 'Recovering');

/** What to call next for a record. */
export type RecordOperation = 'apply' | 'recover';

/**
 * Chaos Mesh's rule (`Not Injected → Not Injected/* → Injected → Injected/* → Not Injected`):
 * with Run, a record not exactly `Injected` is applied if its phase has the `Not Injected`
 * prefix, else recovered first; with Stop, a record not exactly `Not Injected` is applied if it
 * has the `Not Injected` prefix (a plugin's unfinished apply), else recovered. One exception:
 * `Not Injected/Applying` under Stop is recovered, because the engine does not know whether the
 * apply took effect and there is no reason to finish injecting something that should stop.
 */
export function nextOperation(phase: string, desired: DesiredPhase): RecordOperation | undefined {
  if (desired === 'Run') {
    if (phase === PHASE_INJECTED) return undefined;
    return isNotInjectedPhase(phase) ? 'apply' : 'recover';
  }
  if (phase === PHASE_NOT_INJECTED) return undefined;
  if (phase === PHASE_APPLYING) return 'recover';
  return isNotInjectedPhase(phase) ? 'apply' : 'recover';
}

/** The write-ahead marker to persist before `operation`, if the phase is a base phase. */
export function markerFor(phase: string, operation: RecordOperation): string | undefined {
  if (operation === 'apply' && phase === PHASE_NOT_INJECTED) return PHASE_APPLYING;
  if (operation === 'recover' && phase === PHASE_INJECTED) return PHASE_RECOVERING;
  return undefined;
}

/** The phase a plugin sees: the engine's markers are shown as the base phase they stand for. */
export function presentedPhase(phase: string, operation: RecordOperation): string {
  if (phase === PHASE_APPLYING) return operation === 'apply' ? PHASE_NOT_INJECTED : PHASE_INJECTED;
  if (phase === PHASE_RECOVERING) return PHASE_INJECTED;
  return phase;
}
