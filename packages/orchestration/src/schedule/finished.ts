// SPDX-License-Identifier: Apache-2.0
// When a spawned object counts as finished (Chaos Mesh's controllers/utils/controller/finished.go),
// for Forbid and for history pruning: a one-shot chaos once every record is Injected; another
// chaos once it stopped, every record is Not Injected and its duration is over (so one without a
// duration never finishes); a Workflow once Accomplished.
import { parseDuration, PHASE_INJECTED, type ChaosKind, type ChaosObject } from '@chaosplane/sdk';
import { isRecordRecovered } from '@chaosplane/sdk/framework';
import type { KubeObject, Workflow } from '../api/objects.js';

/** The time a chaos object's duration ends (ms), or undefined without a valid duration. */
export function durationEnd(kind: ChaosKind, obj: ChaosObject): number | undefined {
  const text = kind.duration(obj as never);
  const created = obj.metadata.creationTimestamp;
  if (!text || !created) return undefined;
  try {
    return Date.parse(created) + parseDuration(text);
  } catch {
    return undefined;
  }
}

/** Whether a spawned chaos object is finished at `now`. */
export function isChaosFinished(kind: ChaosKind, obj: ChaosObject, now: number): boolean {
  const records = obj.status?.experiment?.containerRecords ?? [];
  if (kind.isOneShot(obj as never))
    return records.length > 0 && records.every(r => r.phase === PHASE_INJECTED);
  if (obj.status?.experiment?.desiredPhase === 'Run') return false;
  if (!records.every(isRecordRecovered)) return false;
  const end = durationEnd(kind, obj);
  return end !== undefined && end < now;
}

/** Whether a Workflow is Accomplished. */
export function isWorkflowFinished(workflow: KubeObject): boolean {
  return (
    (workflow as Workflow).status?.conditions?.some(c => c.type === 'Accomplished' && c.status === 'True') ??
    false
  );
}
