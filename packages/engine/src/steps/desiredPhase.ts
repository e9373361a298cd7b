// SPDX-License-Identifier: Apache-2.0
import { parseDuration, type ChaosKind, type ChaosObject } from '@chaosplane/sdk';
import { PAUSE_ANNOTATION, type DesiredPhase } from '@chaosplane/sdk/framework';

/** Why the desired phase is what it is; the reasons become Kubernetes Events on a change. */
export type DesiredPhaseReason = 'Deleted' | 'OneShot' | 'TimeUp' | 'Paused' | 'Running';

/** The outcome of step 2. */
export interface DesiredPhaseDecision {
  /** Run or Stop. */
  phase: DesiredPhase;
  /** Which rule decided. */
  reason: DesiredPhaseReason;
  /** When the duration expires (ms since epoch), if it has not yet: requeue exactly then. */
  expiresAt?: number;
}

/** True when the pause annotation is `"true"`. */
export function isPaused(obj: ChaosObject): boolean {
  return obj.metadata.annotations?.[PAUSE_ANNOTATION] === 'true';
}

/** True once the API server has set `deletionTimestamp`. */
export function isDeleted(obj: ChaosObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

/** `creationTimestamp + duration` in ms since epoch, or undefined without a (valid) duration. */
export function expiryOf(kind: ChaosKind, obj: ChaosObject): number | undefined {
  const text = kind.duration(obj as never);
  const created = obj.metadata.creationTimestamp;
  if (text === undefined || text === '' || created === undefined) return undefined;
  let duration: number;
  try {
    duration = parseDuration(text);
  } catch {
    // Validation reports a bad duration; here it counts as "no expiry", as in Chaos Mesh.
    return undefined;
  }
  return new Date(created).getTime() + duration;
}

/**
 * Step 2's rule, in Chaos Mesh's order: Stop if deleted; else Run if one-shot; else Stop once
 * creation + duration has passed; else Stop if paused; else Run. Pausing does not extend the
 * duration (it is measured from creation).
 */
export function computeDesiredPhase(kind: ChaosKind, obj: ChaosObject, now: number): DesiredPhaseDecision {
  if (isDeleted(obj)) return { phase: 'Stop', reason: 'Deleted' };
  if (kind.isOneShot(obj as never)) return { phase: 'Run', reason: 'OneShot' };
  const expiresAt = expiryOf(kind, obj);
  if (expiresAt !== undefined && expiresAt <= now) return { phase: 'Stop', reason: 'TimeUp' };
  const decision: DesiredPhaseDecision = isPaused(obj)
    ? { phase: 'Stop', reason: 'Paused' }
    : { phase: 'Run', reason: 'Running' };
  if (expiresAt !== undefined) decision.expiresAt = expiresAt;
  return decision;
}
