// SPDX-License-Identifier: Apache-2.0
// What one apply or recover call did to its record: the new phase, its counts, the record event
// and the Kubernetes Event to emit, and whether the record is done for now.
import {
  ChaosplaneError,
  isInjectedPhase,
  isNotInjectedPhase,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  type ContainerRecord,
} from '@chaosplane/sdk';
import type { DesiredPhase, RecordEvent } from '@chaosplane/sdk/framework';
import { nextOperation, type RecordOperation } from '../steps/recordPhases.js';

/** How a call ended: a phase, or an error. */
export type CallResult = { ok: true; phase: unknown } | { ok: false; error: unknown };

/** What settling a call produced besides the record's new state. */
export interface Settled {
  /** Done with this call: no retry back-off (the record may still need the other operation). */
  done: boolean;
  /** `success`, `error` or `gone`, for the operations metric. */
  outcome: 'success' | 'error' | 'gone';
  /** The Kubernetes Event to emit. */
  event?: { type: 'Normal' | 'Warning'; reason: 'Applied' | 'Recovered' | 'Failed'; message: string };
  /** The failure to log, if any. */
  failure?: string;
}

/**
 * Failure messages are capped: they are stored in every record's events, and the whole records
 * list must stay well under the API server's object size limit (etcd's 1.5 MiB by default).
 */
const MAX_MESSAGE = 512;

/** An error's message, capped at {@link MAX_MESSAGE} characters. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

/** True for `Injected`, `Not Injected` and their sub-phases: what apply and recover may return. */
const isPhase = (phase: unknown): phase is string =>
  typeof phase === 'string' && (isInjectedPhase(phase) || isNotInjectedPhase(phase));

/** The phase a failing plugin asks for (`ChaosplaneError`'s `phase`, or a `phase` property). */
function phaseCarriedBy(error: unknown): string | undefined {
  const phase = (error as { phase?: unknown } | null)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/**
 * Applies the result of `operation` to `record` (phase, counts, `inFlight`, events). A target
 * that is gone counts as recovered, so a deletion never hangs on a vanished pod. A failure keeps
 * the record's phase and its `inFlight` marker: the call may have taken effect in part.
 */
export function settleRecord(
  record: ContainerRecord,
  operation: RecordOperation,
  result: CallResult,
  desired: DesiredPhase,
  maxRecordEvents: number,
): Settled {
  const timestamp = new Date().toISOString();
  const label = operation === 'apply' ? 'Apply' : 'Recover';
  const events: RecordEvent[] = [];
  const failed = (message: string, outcome: Settled['outcome']): Settled => {
    events.push({ type: 'Failed', operation: label, message, timestamp });
    return {
      done: false,
      outcome,
      event: { type: 'Warning', reason: 'Failed', message: `${operation} ${record.id}: ${message}` },
      failure: message,
    };
  };
  let settled: Settled;
  if (!result.ok && ChaosplaneError.isKind(result.error, 'not-found')) {
    // Nothing of a vanished target can be injected any more.
    record.phase = PHASE_NOT_INJECTED;
    delete record.inFlight;
    if (operation === 'recover') {
      record.recoveredCount += 1;
      events.push({ type: 'Succeeded', operation: 'Recover', message: 'target gone', timestamp });
      settled = {
        done: true,
        outcome: 'gone',
        event: { type: 'Normal', reason: 'Recovered', message: `${record.id} (target gone)` },
      };
    } else {
      settled = failed(`target not found: ${messageOf(result.error)}`, 'gone');
    }
  } else if (!result.ok) {
    const carried = phaseCarriedBy(result.error);
    if (carried !== undefined) {
      record.phase = carried;
      delete record.inFlight;
    }
    settled = failed(messageOf(result.error), 'error');
  } else if (!isPhase(result.phase)) {
    // A plugin bug: nothing else could tell apply from recover for this record next time.
    settled = failed(
      `${operation} returned ${JSON.stringify(result.phase)}, not a phase (Injected or Not Injected, or a sub-phase of one)`,
      'error',
    );
  } else {
    record.phase = result.phase;
    delete record.inFlight;
    settled = { done: nextOperation(record, desired) === undefined, outcome: 'success' };
    if (operation === 'apply' && record.phase === PHASE_INJECTED) {
      record.injectedCount += 1;
      events.push({ type: 'Succeeded', operation: 'Apply', timestamp });
      settled = {
        done: true,
        outcome: 'success',
        event: { type: 'Normal', reason: 'Applied', message: record.id },
      };
    } else if (operation === 'recover' && record.phase === PHASE_NOT_INJECTED) {
      record.recoveredCount += 1;
      events.push({ type: 'Succeeded', operation: 'Recover', timestamp });
      settled = {
        done: true,
        outcome: 'success',
        event: { type: 'Normal', reason: 'Recovered', message: record.id },
      };
    }
  }
  if (events.length > 0) record.events = [...(record.events ?? []), ...events].slice(-maxRecordEvents);
  return settled;
}
