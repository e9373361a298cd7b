// SPDX-License-Identifier: Apache-2.0
// A Schedule, as Chaos Mesh's four schedule controllers do it, in one pass: pause (children
// follow the schedule's pause annotation), active (status.active lists the children), GC
// (finished children beyond historyLimit are deleted, oldest first) and cron (the due run
// spawns one object, Forbid permitting; status.time records the run). Spawned names derive from
// the schedule's uid and the tick, so a run is created once even across crashes.
import { formatViolations, type EventRecorder } from '@chaosplane/engine';
import { type ChaosObject } from '@chaosplane/sdk';
import { PAUSE_ANNOTATION } from '@chaosplane/sdk/framework';
import { LABEL_MANAGED_BY, WORKFLOW_KIND } from '../api/constants.js';
import type { KubeObject, ObjectReference, Schedule } from '../api/objects.js';
import { parseCronSchedule } from '../cron/parseCronSchedule.js';
import { rfc3339, type OrchestrationDeps } from '../runtime/deps.js';
import { generatedName } from '../runtime/generatedName.js';
import { controllerReference } from '../runtime/ownerReference.js';
import type { ResourceCache } from '../runtime/resourceCache.js';
import { durationEnd, isChaosFinished, isWorkflowFinished } from './finished.js';
import { rfc1123z, unmetRuns } from './missedRun.js';

/** The per-controller Event recorders (Chaos Mesh's source components). */
interface ScheduleEvents {
  cron: EventRecorder;
  active: EventRecorder;
  gc: EventRecorder;
  pause: EventRecorder;
}

/** One schedule's pass: its deps, the collection of its type and its children. */
interface Pass {
  deps: OrchestrationDeps;
  events: ScheduleEvents;
  schedule: Schedule;
  key: string;
  children: KubeObject[];
  cache: ResourceCache;
  signal: AbortSignal;
}

const isPaused = (obj: KubeObject) => obj.metadata.annotations?.[PAUSE_ANNOTATION] === 'true';

/** The collection a schedule spawns into. */
function cacheOf(deps: OrchestrationDeps, type: string): ResourceCache | undefined {
  return type === WORKFLOW_KIND ? deps.caches.workflows : deps.caches.chaos.get(type);
}

/** Whether a child is finished at `now`. */
function finished(deps: OrchestrationDeps, type: string, child: KubeObject, now: number): boolean {
  if (type === WORKFLOW_KIND) return isWorkflowFinished(child);
  const entry = deps.table.byKind(type);
  return entry !== undefined && isChaosFinished(entry.chaos, child as ChaosObject, now);
}

/** Pause: each child's pause annotation follows the schedule's (a Workflow schedule cannot pause). */
async function syncPause(pass: Pass): Promise<void> {
  const { schedule, children, deps } = pass;
  const paused = isPaused(schedule);
  if (schedule.spec!.type === WORKFLOW_KIND) {
    if (paused)
      pass.events.pause.emit(
        schedule,
        'Warning',
        'NotSupported',
        'pausing a workflow schedule is not supported',
      );
    return;
  }
  for (const child of children) {
    if (isPaused(child) === paused) continue;
    try {
      await deps.writes.patch(
        pass.cache,
        child,
        { metadata: { annotations: { [PAUSE_ANNOTATION]: String(paused) } } },
        pass.signal,
      );
    } catch (error) {
      pass.events.pause.emit(
        schedule,
        'Warning',
        'Failed',
        `Failed to set pause to ${paused} for ${child.metadata.namespace}/${child.metadata.name}: ${(error as Error).message}`,
      );
    }
  }
}

/** Active: `status.active` lists every child that exists, by name. */
async function syncActive(pass: Pass): Promise<void> {
  const active: ObjectReference[] = pass.children
    .map(child => ({
      apiVersion: child.apiVersion,
      kind: child.kind,
      name: child.metadata.name ?? '',
      namespace: child.metadata.namespace ?? '',
      uid: child.metadata.uid ?? '',
      resourceVersion: child.metadata.resourceVersion ?? '',
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const same = (current: ObjectReference[] | undefined) =>
    JSON.stringify((current ?? []).map(r => [r.name, r.uid])) ===
    JSON.stringify(active.map(r => [r.name, r.uid]));
  if (same(pass.schedule.status?.active)) return;
  try {
    await pass.deps.writes.update(
      pass.deps.caches.schedules,
      pass.key,
      'object',
      fresh => (same(fresh.status?.active) ? undefined : { ...fresh, status: { ...fresh.status, active } }),
      pass.signal,
    );
  } catch (error) {
    pass.events.active.emit(
      pass.schedule,
      'Warning',
      'Failed',
      `Failed to update active: ${(error as Error).message}`,
    );
  }
}

/** GC: deletes the oldest finished children beyond historyLimit; returns when to look again. */
async function collectGarbage(pass: Pass, now: number): Promise<number | undefined> {
  const { schedule, deps } = pass;
  const type = schedule.spec!.type;
  const byAge = [...pass.children].sort(
    (a, b) =>
      Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  const exceeded = byAge.length - (schedule.spec!.historyLimit ?? 0);
  let requeueAt: number | undefined;
  for (const child of byAge.slice(0, Math.max(0, exceeded))) {
    if (child.metadata.deletionTimestamp) continue;
    if (!finished(deps, type, child, now)) {
      const entry = deps.table.byKind(type);
      const end = entry ? durationEnd(entry.chaos, child as ChaosObject) : undefined;
      if (end !== undefined && end >= now) requeueAt = Math.min(requeueAt ?? Infinity, end + 1_000);
      continue;
    }
    try {
      await deps.writes.remove(pass.cache, child, pass.signal);
    } catch (error) {
      pass.events.gc.emit(
        schedule,
        'Warning',
        'Failed',
        `Failed to delete ${child.metadata.namespace}/${child.metadata.name}: ${(error as Error).message}`,
      );
    }
  }
  return requeueAt;
}

/** The object a run spawns: the embedded spec under the schedule's name, label and ownership. */
function spawnedObject(deps: OrchestrationDeps, schedule: Schedule, run: number): KubeObject {
  const spec = schedule.spec!;
  const field = spec.type === WORKFLOW_KIND ? 'workflow' : deps.table.byKind(spec.type)!.field;
  return {
    apiVersion: deps.apiVersion,
    kind: spec.type,
    metadata: {
      name: generatedName(schedule.metadata.name ?? '', `${schedule.metadata.uid}/${run}`),
      namespace: schedule.metadata.namespace!,
      labels: { [LABEL_MANAGED_BY]: schedule.metadata.name ?? '' },
      ownerReferences: [controllerReference(schedule)],
    },
    spec: structuredClone(spec[field]),
  };
}

/** Cron: spawns the due run unless Forbid holds it back; returns when the next tick is due. */
async function runCron(pass: Pass, now: number): Promise<number | undefined> {
  const { schedule, deps, events } = pass;
  if (isPaused(schedule)) return undefined;
  const spec = schedule.spec!;
  const lastRun = Date.parse(schedule.status?.time ?? schedule.metadata.creationTimestamp ?? '');
  const runs = unmetRuns(parseCronSchedule(spec.schedule), lastRun, now, spec.startingDeadlineSeconds);
  if (runs.error !== undefined) {
    events.cron.emit(schedule, 'Warning', 'Failed', `Failed to get run time: ${runs.error}`);
    return undefined;
  }
  if (runs.tooLate !== undefined)
    events.cron.emit(
      schedule,
      'Warning',
      'MissSchedule',
      `Missed scheduled time to start a job: ${rfc1123z(runs.tooLate)}`,
    );
  if (runs.missed === undefined) return runs.next;
  if ((spec.concurrencyPolicy ?? 'Forbid') !== 'Allow') {
    const running = pass.children.find(
      child => !child.metadata.deletionTimestamp && !finished(deps, spec.type, child, now),
    );
    if (running) {
      events.cron.emit(
        schedule,
        'Warning',
        'Forbid',
        `Forbid spawning new job because: ${running.metadata.name} is still running`,
      );
      // As Chaos Mesh: no requeue; the running child's next change brings the schedule back.
      return undefined;
    }
  }
  const child = spawnedObject(deps, schedule, runs.missed);
  try {
    if (await deps.writes.create(pass.cache, child, pass.signal))
      events.cron.emit(schedule, 'Normal', 'Spawned', `Create new object: ${child.metadata.name}`);
  } catch (error) {
    events.cron.emit(
      schedule,
      'Warning',
      'Failed',
      `Failed to create new object: ${(error as Error).message}`,
    );
    throw error;
  }
  const time = rfc3339(now);
  await deps.writes.update(
    deps.caches.schedules,
    pass.key,
    'object',
    fresh => ({ ...fresh, status: { ...fresh.status, time } }),
    pass.signal,
  );
  events.cron.emit(schedule, 'Normal', 'Updated', 'Successfully update lastScheduleTime of resource');
  return runs.next;
}

/** Invalid specs are reported once per version and never run. */
const reported = new WeakMap<OrchestrationDeps, Map<string, string>>();

function reportInvalid(deps: OrchestrationDeps, events: ScheduleEvents, schedule: Schedule): boolean {
  const violations = deps.validator.schedule(schedule.spec);
  if (violations.length === 0) return false;
  const seen = reported.get(deps) ?? new Map<string, string>();
  reported.set(deps, seen);
  const uid = schedule.metadata.uid ?? '';
  if (seen.get(uid) !== schedule.metadata.resourceVersion) {
    seen.set(uid, schedule.metadata.resourceVersion ?? '');
    events.cron.emit(schedule, 'Warning', 'Failed', `invalid spec: ${formatViolations(violations)}`);
  }
  return true;
}

/** Reconciles the Schedule `key`; resolves to when it must run again. */
export async function reconcileSchedule(
  deps: OrchestrationDeps,
  events: ScheduleEvents,
  key: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const schedule = deps.caches.schedules.get(key);
  if (!schedule?.spec || schedule.metadata.deletionTimestamp) return undefined;
  if (reportInvalid(deps, events, schedule)) return undefined;
  const cache = cacheOf(deps, schedule.spec.type);
  if (!cache) return undefined;
  const children = cache.list(schedule.metadata.namespace, {
    [LABEL_MANAGED_BY]: schedule.metadata.name ?? '',
  });
  const pass: Pass = { deps, events, schedule, key, children, cache, signal };
  const now = deps.clock.now();
  await syncPause(pass);
  await syncActive(pass);
  const gc = await collectGarbage(pass, now);
  const next = await runCron({ ...pass, schedule: deps.caches.schedules.get(key) ?? schedule }, now);
  return gc === undefined ? next : next === undefined ? gc : Math.min(gc, next);
}

/** The recorders of the schedule controllers. */
export function scheduleEvents(deps: OrchestrationDeps): ScheduleEvents {
  return {
    cron: deps.events('schedule-cron'),
    active: deps.events('schedule-active'),
    gc: deps.events('schedule-gc'),
    pause: deps.events('schedule-pause'),
  };
}
