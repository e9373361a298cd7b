// SPDX-License-Identifier: Apache-2.0
// The pipeline for one object: init finalizer → desired phase → conditions → records → clean
// finalizer. Each step owns one field and writes only that field, with optimistic concurrency
// (a 409 re-reads and re-applies the step's own field). The object a step reads is the newest
// the engine knows: what the previous step wrote, else the informer's copy.
import type { ChaosImpl, ChaosKind, ChaosObject, ChaosStatus, Logger } from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';
import { formatViolations, validateChaosObject } from '../api/validation.js';
import type { ChaosEventReason, EventRecorder } from '../events/createEventRecorder.js';
import type { EngineMetrics } from '../metrics/createEngineMetrics.js';
import { computeConditions, sameConditions, type SelectionNote } from '../steps/conditions.js';
import {
  computeDesiredPhase,
  isDeleted,
  isPaused,
  type DesiredPhaseDecision,
} from '../steps/desiredPhase.js';
import { finalizersToClean, finalizersToInit } from '../steps/finalizers.js';
import type { DaemonInstances } from '../daemons/createDaemonInstances.js';
import type { ObjectAccess } from './createObjectAccess.js';
import type { DaemonPlacements, PendingReapplies } from './reapplyRecords.js';
import { runRecordStep } from './runRecordStep.js';
import type { ImplServices, RecordBackoff, RecordRunnerOptions } from './runRecords.js';

/** What a pipeline run asks of the work queue. */
export interface ReconcileResult {
  /** Run again at this time (ms since epoch): duration expiry or a record's back-off. */
  requeueAt?: number;
  /** Run again with the key's rate-limited back-off (selection failed or found nothing). */
  retry?: boolean;
}

/** Per-object memory of the pipeline (by uid), dropped when the object goes away. */
export interface ObjectState {
  backoff: Map<string, RecordBackoff>;
  /** Where its records' applies called the daemon (to re-apply when a node's daemon is replaced). */
  placements: DaemonPlacements;
  /** Its records being applied again after their daemon was replaced, until the apply lands. */
  reapplying: PendingReapplies;
  note?: SelectionNote;
  invalidReported?: boolean;
}

/** What a pipeline needs. */
export interface PipelineDeps {
  kind: ChaosKind;
  impl: ChaosImpl;
  objects: ObjectAccess;
  selectors: SelectorRegistry;
  events: EventRecorder;
  metrics?: EngineMetrics;
  services: ImplServices;
  log: Logger;
  records: RecordRunnerOptions;
  /** True while the engine is stopping gracefully: finish in-flight records, start no more. */
  stopping: () => boolean;
  /** Aborted on a hard stop; handed to plugins. */
  implSignal: AbortSignal;
  /** Clock (ms since epoch). */
  now?: () => number;
  /** The daemon instance of each node; records are re-applied when it changes. */
  daemonInstances?: DaemonInstances;
}

/** The pipeline of one kind. */
export interface Pipeline {
  /** Runs the five steps for `key` (`namespace/name`). */
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult>;
  /** Forgets the memory of an object that went away. */
  forget(uid: string): void;
  /** True when a record of the object (by uid) was applied through the daemon of `nodeName`. */
  appliedOn(uid: string, nodeName: string): boolean;
}

const DESIRED_EVENTS: Record<DesiredPhaseDecision['reason'], ['Normal' | 'Warning', ChaosEventReason]> = {
  Deleted: ['Normal', 'Deleted'],
  TimeUp: ['Normal', 'TimeUp'],
  Paused: ['Normal', 'Paused'],
  Running: ['Normal', 'Started'],
  OneShot: ['Normal', 'Started'],
};

/** What the steps of one kind's pipeline share: its deps, with the clock resolved. */
export type PipelineContext = PipelineDeps & { now: () => number };

/** Creates the {@link Pipeline} of one kind. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const ctx: PipelineContext = { ...deps, now: deps.now ?? Date.now };
  const states = new Map<string, ObjectState>();
  const stateOf = (obj: ChaosObject) => {
    const uid = obj.metadata.uid ?? '';
    let state = states.get(uid);
    if (!state) {
      state = { backoff: new Map(), placements: new Map(), reapplying: new Map() };
      states.set(uid, state);
    }
    return state;
  };
  return {
    forget(uid) {
      states.delete(uid);
    },
    appliedOn(uid, nodeName) {
      const placements = states.get(uid)?.placements.values() ?? [];
      for (const placement of placements) if (placement.node === nodeName) return true;
      return false;
    },
    async reconcile(key, signal) {
      const obj = ctx.objects.latest(key);
      if (!obj) return {};
      return reconcileObject(ctx, key, obj, stateOf(obj), signal);
    },
  };
}

/** Runs the five steps for `obj`, the newest copy of `key`. */
async function reconcileObject(
  ctx: PipelineContext,
  key: string,
  informed: ChaosObject,
  state: ObjectState,
  signal: AbortSignal,
): Promise<ReconcileResult> {
  const invalid = noteInvalidSpec(ctx, informed, state);
  let obj = await initFinalizer(ctx, informed, signal);
  if (!obj) return {};
  const desired = await writeDesiredPhase(ctx, obj, signal);
  if (!desired.obj) return {};
  obj = await writeConditions(ctx, desired.obj, state.note, signal);
  if (!obj) return {};
  const records = await runRecordStep(ctx, key, obj, desired.decision.phase, invalid, state, signal);
  if (!records.obj) return {};
  obj = records.obj;
  // Conditions again, so the pass ends consistent (the records just changed, or a selection
  // just failed): the engine does not requeue on its own writes (see createKindController).
  obj = await writeConditions(ctx, obj, state.note, signal);
  if (!obj) return {};
  if (isDeleted(obj)) await cleanFinalizer(ctx, obj, signal);

  const result: ReconcileResult = { ...records.result };
  const at = earliest(result.requeueAt, desired.decision.expiresAt);
  if (at !== undefined) result.requeueAt = at;
  // An interrupted pass (a newer phase arrived, or the selection just got written) goes again.
  if (records.interrupted && !ctx.stopping()) result.requeueAt = ctx.now();
  return result;
}

/**
 * Validates the spec of `obj`; an invalid one is noted for the `Selected` condition and
 * reported by an Event once per object. True when the spec is invalid.
 */
function noteInvalidSpec(ctx: PipelineContext, obj: ChaosObject, state: ObjectState): boolean {
  const violations = validateChaosObject(ctx.kind, obj);
  if (violations.length === 0) return false;
  const message = formatViolations(violations);
  state.note = { reason: 'InvalidSpec', message };
  if (!state.invalidReported) {
    state.invalidReported = true;
    ctx.events.emit(obj, 'Warning', 'Failed', `invalid spec: ${message}`);
  }
  return true;
}

const withStatus = (obj: ChaosObject, status: ChaosStatus): ChaosObject => ({ ...obj, status });

/** Step 1: adds our finalizer unless the object has it (or is being deleted). */
async function initFinalizer(ctx: PipelineContext, obj: ChaosObject, signal: AbortSignal) {
  if (!finalizersToInit(obj)) return obj;
  const written = await ctx.objects.write(
    obj,
    'object',
    fresh => {
      const finalizers = finalizersToInit(fresh);
      return finalizers ? { ...fresh, metadata: { ...fresh.metadata, finalizers } } : undefined;
    },
    signal,
  );
  if (written) ctx.events.emit(written, 'Normal', 'FinalizerInited', 'Finalizer has been inited');
  return written;
}

/** Step 2: writes the desired phase of `obj` when it changed, with the Event of its reason. */
async function writeDesiredPhase(ctx: PipelineContext, obj: ChaosObject, signal: AbortSignal) {
  const decision = computeDesiredPhase(ctx.kind, obj, ctx.now());
  if (obj.status?.experiment?.desiredPhase === decision.phase) return { obj, decision };
  const written = await ctx.objects.write(
    obj,
    'status',
    fresh =>
      fresh.status?.experiment?.desiredPhase === decision.phase
        ? undefined
        : withStatus(fresh, {
            ...fresh.status,
            experiment: { ...fresh.status?.experiment, desiredPhase: decision.phase },
          }),
    signal,
  );
  const event = DESIRED_EVENTS[decision.reason];
  if (written && event) ctx.events.emit(written, event[0], event[1], `desired phase: ${decision.phase}`);
  return { obj: written, decision };
}

/** Step 3: writes the conditions when the records, the pause flag or `note` changed them. */
async function writeConditions(
  ctx: PipelineContext,
  obj: ChaosObject,
  note: SelectionNote | undefined,
  signal: AbortSignal,
) {
  const wanted = computeConditions(obj.status?.experiment?.containerRecords, isPaused(obj), note);
  if (sameConditions(obj.status?.conditions, wanted)) return obj;
  return ctx.objects.write(
    obj,
    'status',
    fresh => {
      const again = computeConditions(fresh.status?.experiment?.containerRecords, isPaused(fresh), note);
      return sameConditions(fresh.status?.conditions, again)
        ? undefined
        : withStatus(fresh, { ...fresh.status, conditions: again });
    },
    signal,
  );
}

/** Step 5: removes our finalizer from a deleted object once every record recovered (or forced). */
async function cleanFinalizer(ctx: PipelineContext, obj: ChaosObject, signal: AbortSignal) {
  const clean = finalizersToClean(obj);
  if (!clean) return obj;
  const written = await ctx.objects.write(
    obj,
    'object',
    fresh => {
      const again = finalizersToClean(fresh);
      return again ? { ...fresh, metadata: { ...fresh.metadata, finalizers: again.finalizers } } : undefined;
    },
    signal,
  );
  ctx.events.emit(
    obj,
    'Normal',
    'FinalizerRemoved',
    clean.reason === 'Forced' ? 'Finalizer removed (forced)' : 'Finalizer removed: every record recovered',
  );
  return written;
}

/** The earlier of two optional times. */
const earliest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);
