// SPDX-License-Identifier: Apache-2.0
// A StatusCheck (Chaos Mesh's controllers/statuscheck): an execution every intervalSeconds, the
// first one interval after the start, each recorded (the newest recordsHistoryLimit kept), then
// the conditions from the records: DurationExceed, FailureThresholdExceed (in both modes),
// SuccessThresholdExceed, and Completed (Synchronous also completes on the success threshold).
// The schedule is on the engine's clock; the records live in the status, so a restarted
// operator goes on counting where it was.
import { formatViolations } from '@chaosplane/engine';
import { parseDuration } from '@chaosplane/sdk';
import type {
  StatusCheck,
  StatusCheckCondition,
  StatusCheckRecord,
  StatusCheckStatus,
} from '../api/objects.js';
import { rfc3339, type OrchestrationDeps } from '../runtime/deps.js';
import { runProbe } from './probes.js';

const COMPONENT = 'statuscheck-controller';

/** The newest run of records all `outcome`, counted back from the newest. */
function streak(records: readonly StatusCheckRecord[], outcome: StatusCheckRecord['outcome']): number {
  let n = 0;
  for (let i = records.length - 1; i >= 0 && records[i]!.outcome === outcome; i -= 1) n += 1;
  return n;
}

/** A condition, its lastTransitionTime kept unless its status flips. */
function condition(
  previous: readonly StatusCheckCondition[] | undefined,
  type: string,
  value: boolean,
  reason: string,
  probeTime: string,
): StatusCheckCondition {
  const status = value ? 'True' : 'False';
  const before = previous?.find(c => c.type === type);
  return {
    type,
    status,
    reason,
    lastProbeTime: probeTime,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : probeTime,
  };
}

/** The conditions Chaos Mesh computes from the records. */
function conditionsOf(
  check: StatusCheck,
  status: StatusCheckStatus,
  now: number,
  probeTime: string,
): StatusCheckCondition[] {
  const spec = check.spec!;
  const records = status.records ?? [];
  const durationExceed =
    spec.duration !== undefined &&
    spec.duration !== '' &&
    Date.parse(status.startTime!) + parseDuration(spec.duration) < now;
  const failure = streak(records, 'Failure') >= (spec.failureThreshold ?? 3);
  const success = streak(records, 'Success') >= (spec.successThreshold ?? 1);
  const synchronous = (spec.mode ?? 'Synchronous') === 'Synchronous';
  const reason = durationExceed
    ? 'StatusCheckDurationExceed'
    : failure
      ? 'StatusCheckFailureThresholdExceed'
      : synchronous && success
        ? 'StatusCheckSuccessThresholdExceed'
        : '';
  const previous = status.conditions;
  return [
    condition(previous, 'DurationExceed', durationExceed, '', probeTime),
    condition(previous, 'FailureThresholdExceed', failure, '', probeTime),
    condition(previous, 'SuccessThresholdExceed', success, '', probeTime),
    condition(previous, 'Completed', reason !== '', reason, probeTime),
  ];
}

/** Runs the due execution, if any, into `status`; returns when the next one is due. */
async function executeIfDue(
  deps: OrchestrationDeps,
  check: StatusCheck,
  status: StatusCheckStatus,
  now: number,
  signal: AbortSignal,
): Promise<number> {
  const spec = check.spec!;
  const interval = (spec.intervalSeconds ?? 10) * 1000;
  const last = status.records?.at(-1)?.startTime ?? status.startTime!;
  const due = Date.parse(last) + interval;
  if (now < due) return due;
  const result = await runProbe(deps, spec, check.metadata.namespace ?? 'default', signal);
  const type = spec.type ?? 'HTTP';
  const events = deps.events(COMPONENT);
  if (result.ok)
    events.emit(check, 'Normal', 'StatusCheckExecutionSucceed', `${type} execution of status check succeed`);
  else
    events.emit(
      check,
      'Warning',
      'StatusCheckExecutionFailed',
      `${type} execution of status check failed: ${result.message}`,
    );
  const records = [
    ...(status.records ?? []),
    { startTime: rfc3339(now), outcome: result.ok ? 'Success' : 'Failure' } as const,
  ];
  status.records = records.slice(-(spec.recordsHistoryLimit ?? 100));
  status.count = (status.count ?? 0) + 1;
  return Date.parse(rfc3339(now)) + interval;
}

/** The completion Events, on the pass that completes the check. */
function completionEvents(deps: OrchestrationDeps, check: StatusCheck, conditions: StatusCheckCondition[]) {
  const events = deps.events(COMPONENT);
  const is = (type: string) => conditions.find(c => c.type === type)?.status === 'True';
  if (is('DurationExceed')) events.emit(check, 'Warning', 'StatusCheckDurationExceed', 'duration exceed');
  if (is('SuccessThresholdExceed'))
    events.emit(check, 'Normal', 'StatusCheckSuccessThresholdExceed', 'success threshold exceed');
  if (is('FailureThresholdExceed'))
    events.emit(check, 'Warning', 'StatusCheckFailureThresholdExceed', 'failure threshold exceed');
  const reason = conditions.find(c => c.type === 'Completed')?.reason ?? '';
  events.emit(check, 'Normal', 'StatusCheckCompleted', `status check completed: ${reason}`);
}

const reported = new WeakMap<OrchestrationDeps, Set<string>>();

/** True (and reported once per version) when the spec is invalid. */
function invalid(deps: OrchestrationDeps, check: StatusCheck): boolean {
  const violations = deps.validator.statusCheck(check.spec);
  if (violations.length === 0) return false;
  const seen = reported.get(deps) ?? new Set<string>();
  reported.set(deps, seen);
  const version = `${check.metadata.uid}/${check.metadata.resourceVersion}`;
  if (!seen.has(version)) {
    seen.add(version);
    deps.events(COMPONENT).emit(check, 'Warning', 'Failed', `invalid spec: ${formatViolations(violations)}`);
  }
  return true;
}

const isCompleted = (status: StatusCheckStatus | undefined) =>
  status?.conditions?.some(c => c.type === 'Completed' && c.status === 'True') ?? false;

/** The status after this pass (an execution if due), and when the next execution is due. */
async function nextStatus(
  deps: OrchestrationDeps,
  check: StatusCheck,
  now: number,
  signal: AbortSignal,
): Promise<{ status: StatusCheckStatus; next: number }> {
  const status: StatusCheckStatus = structuredClone(check.status ?? {});
  status.startTime ??= rfc3339(now);
  const countBefore = status.count ?? 0;
  let next = await executeIfDue(deps, check, status, now, signal);
  const executed = (status.count ?? 0) !== countBefore;
  const previousProbe = status.conditions?.[0]?.lastProbeTime;
  const probeTime = executed || previousProbe === undefined ? rfc3339(now) : previousProbe;
  status.conditions = conditionsOf(check, status, now, probeTime);
  if (isCompleted(status)) status.completionTime ??= rfc3339(now);
  const duration = check.spec?.duration;
  if (duration) next = Math.min(next, Date.parse(status.startTime) + parseDuration(duration) + 1);
  return { status, next };
}

/** Reconciles the StatusCheck `key`; resolves to when the next execution (or the duration end) is due. */
export async function reconcileStatusCheck(
  deps: OrchestrationDeps,
  key: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const check = deps.caches.statusChecks.get(key);
  if (!check?.spec || check.metadata.deletionTimestamp || isCompleted(check.status)) return undefined;
  if (invalid(deps, check)) return undefined;
  const { status, next } = await nextStatus(deps, check, deps.clock.now(), signal);
  const completed = isCompleted(status);
  if (JSON.stringify(status) !== JSON.stringify(check.status ?? {})) {
    await deps.writes.update(
      deps.caches.statusChecks,
      key,
      'status',
      fresh => ({ ...fresh, status }),
      signal,
    );
    if (completed) completionEvents(deps, check, status.conditions ?? []);
  }
  return completed ? undefined : next;
}
