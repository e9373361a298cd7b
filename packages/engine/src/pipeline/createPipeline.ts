// SPDX-License-Identifier: Apache-2.0
// The pipeline for one object: init finalizer → desired phase → conditions → records → clean
// finalizer. Each step owns one field and writes only that field, with optimistic concurrency
// (a 409 re-reads and re-applies the step's own field). The object a step reads is the newest
// the engine knows: what the previous step wrote, else the informer's copy.
import {
  PHASE_NOT_INJECTED,
  type ChaosImpl,
  type ChaosKind,
  type ChaosObject,
  type ChaosStatus,
  type ContainerRecord,
  type Logger,
} from '@chaosplane/sdk';
import type { DesiredPhase, SelectorRegistry } from '@chaosplane/sdk/framework';
import { chaosLogger } from '@chaosplane/service';
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
import type { ObjectAccess } from './createObjectAccess.js';
import { runRecords, type ImplServices, type RecordBackoff, type RecordRunnerOptions } from './runRecords.js';

/** What a pipeline run asks of the work queue. */
export interface ReconcileResult {
  /** Run again at this time (ms since epoch): duration expiry or a record's back-off. */
  requeueAt?: number;
  /** Run again with the key's rate-limited back-off (selection failed or found nothing). */
  retry?: boolean;
}

/** Per-object memory of the pipeline (by uid), dropped when the object goes away. */
interface ObjectState {
  backoff: Map<string, RecordBackoff>;
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
}

/** The pipeline of one kind. */
export interface Pipeline {
  /** Runs the five steps for `key` (`namespace/name`). */
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult>;
  /** Forgets the memory of an object that went away. */
  forget(uid: string): void;
}

const DESIRED_EVENTS: Record<DesiredPhaseDecision['reason'], ['Normal' | 'Warning', ChaosEventReason]> = {
  Deleted: ['Normal', 'Deleted'],
  TimeUp: ['Normal', 'TimeUp'],
  Paused: ['Normal', 'Paused'],
  Running: ['Normal', 'Started'],
  OneShot: ['Normal', 'Started'],
};

/** Creates the {@link Pipeline} of one kind. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { kind, objects } = deps;
  const now = deps.now ?? Date.now;
  const states = new Map<string, ObjectState>();
  const stateOf = (obj: ChaosObject) => {
    const uid = obj.metadata.uid ?? '';
    let state = states.get(uid);
    if (!state) {
      state = { backoff: new Map() };
      states.set(uid, state);
    }
    return state;
  };

  const withStatus = (obj: ChaosObject, status: ChaosStatus): ChaosObject => ({ ...obj, status });

  const initFinalizer = async (obj: ChaosObject, signal: AbortSignal) => {
    if (!finalizersToInit(obj)) return obj;
    const written = await objects.write(
      obj,
      'object',
      fresh => {
        const finalizers = finalizersToInit(fresh);
        return finalizers ? { ...fresh, metadata: { ...fresh.metadata, finalizers } } : undefined;
      },
      signal,
    );
    if (written) deps.events.emit(written, 'Normal', 'FinalizerInited', 'Finalizer has been inited');
    return written;
  };

  const desiredPhase = async (obj: ChaosObject, signal: AbortSignal) => {
    const decision = computeDesiredPhase(kind, obj, now());
    if (obj.status?.experiment?.desiredPhase === decision.phase) return { obj, decision };
    const written = await objects.write(
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
    if (written && event) deps.events.emit(written, event[0], event[1], `desired phase: ${decision.phase}`);
    return { obj: written, decision };
  };

  const conditions = async (obj: ChaosObject, note: SelectionNote | undefined, signal: AbortSignal) => {
    const wanted = computeConditions(obj.status?.experiment?.containerRecords, isPaused(obj), note);
    if (sameConditions(obj.status?.conditions, wanted)) return obj;
    return objects.write(
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
  };

  /** Writes the records field (and the plugin's custom status fields) with conflict retries. */
  const writeRecords =
    (signal: AbortSignal, custom: () => ChaosStatus | undefined) =>
    (obj: ChaosObject, records: ContainerRecord[]) =>
      objects.write(
        obj,
        'status',
        fresh => {
          const status: ChaosStatus = { ...fresh.status };
          // A plugin may keep its own status fields beside conditions/experiment (Chaos Mesh's
          // custom status, e.g. instances): carry them over from the object it was handed.
          for (const [field, value] of Object.entries(custom() ?? {}))
            if (field !== 'conditions' && field !== 'experiment') status[field] = value;
          status.experiment = { ...status.experiment, containerRecords: records };
          return withStatus(fresh, status);
        },
        signal,
      );

  const select = async (obj: ChaosObject, state: ObjectState, signal: AbortSignal) => {
    const refs = kind.selectors(obj as never);
    const records: ContainerRecord[] = [];
    // Sorted keys: the order of records does not depend on object key order.
    for (const selectorKey of Object.keys(refs).sort()) {
      const ref = refs[selectorKey]!;
      let targets;
      try {
        targets = await deps.selectors.select(ref, {
          namespace: obj.metadata.namespace ?? 'default',
          signal,
        });
      } catch (error) {
        const message = `selector "${selectorKey}": ${error instanceof Error ? error.message : String(error)}`;
        state.note = { reason: 'SelectionFailed', message };
        deps.events.emit(obj, 'Warning', 'Failed', `select targets: ${message}`);
        return undefined;
      }
      if (targets.length === 0) {
        const message = `selector "${selectorKey}" selected no target`;
        state.note = { reason: 'NoTargets', message };
        deps.events.emit(obj, 'Warning', 'Failed', `select targets: ${message}`);
        return undefined;
      }
      for (const target of targets)
        records.push({
          id: target.id,
          selectorKey,
          phase: PHASE_NOT_INJECTED,
          injectedCount: 0,
          recoveredCount: 0,
          ...(target.instanceId ? { instanceId: target.instanceId } : {}),
        });
    }
    delete state.note;
    return records;
  };

  const desiredOf = (obj: ChaosObject | undefined) =>
    obj ? computeDesiredPhase(kind, obj, now()).phase : undefined;

  const recordsStep = async (
    key: string,
    obj: ChaosObject,
    desired: DesiredPhase,
    invalid: boolean,
    state: ObjectState,
    signal: AbortSignal,
  ): Promise<{ obj: ChaosObject | undefined; result: ReconcileResult; interrupted?: boolean }> => {
    let current: ChaosObject | undefined = obj;
    const existing = obj.status?.experiment?.containerRecords;
    // An invalid spec is never injected; records it may somehow have are still recovered.
    const effective: DesiredPhase = invalid ? 'Stop' : desired;
    if (!existing || existing.length === 0) {
      // Nothing to select for a stopped experiment (deleted, paused or expired before selection).
      if (effective === 'Stop') return { obj, result: {} };
      const selected = await select(obj, state, signal);
      if (!selected) return { obj, result: { retry: true } };
      current = await writeRecords(signal, () => obj.status)(obj, selected);
      if (!current) return { obj: undefined, result: {} };
    }
    // Plugins get `handed` as ctx.obj (a copy: the informer's object stays untouched); custom
    // status fields they set on it are written back with the records.
    const handed: ChaosObject = { ...current, status: { ...current.status } };
    const write = writeRecords(signal, () => handed.status);
    let lastSeen: ChaosObject | undefined;
    let lastStop = false;
    const outcome = await runRecords(
      {
        kind,
        impl: deps.impl,
        selectors: deps.selectors,
        services: deps.services,
        log: chaosLogger(deps.log, {
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name ?? '',
        }),
        events: deps.events,
        metrics: deps.metrics,
        options: deps.records,
        writeRecords: write,
        backoff: state.backoff,
        implSignal: deps.implSignal,
        shouldStop: () => {
          if (deps.stopping() || signal.aborted) return true;
          const seen = objects.latest(key);
          if (seen !== lastSeen) {
            lastSeen = seen;
            // A newer desired phase (deleted, paused, resumed, expired) ends this pass early.
            lastStop = !seen || (!invalid && desiredOf(seen) !== desired);
          }
          return lastStop;
        },
      },
      handed,
      effective,
    );
    const result: ReconcileResult = {};
    if (outcome.requeueAt !== undefined) result.requeueAt = outcome.requeueAt;
    return { obj: outcome.obj, result, interrupted: outcome.interrupted };
  };

  const cleanFinalizer = async (obj: ChaosObject, signal: AbortSignal) => {
    const clean = finalizersToClean(obj);
    if (!clean) return obj;
    const written = await objects.write(
      obj,
      'object',
      fresh => {
        const again = finalizersToClean(fresh);
        return again
          ? { ...fresh, metadata: { ...fresh.metadata, finalizers: again.finalizers } }
          : undefined;
      },
      signal,
    );
    deps.events.emit(
      obj,
      'Normal',
      'FinalizerRemoved',
      clean.reason === 'Forced' ? 'Finalizer removed (forced)' : 'Finalizer removed: every record recovered',
    );
    return written;
  };

  const earliest = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);

  return {
    forget(uid) {
      states.delete(uid);
    },
    async reconcile(key, signal) {
      let obj = objects.latest(key);
      if (!obj) return {};
      const state = stateOf(obj);

      const violations = validateChaosObject(kind, obj);
      const invalid = violations.length > 0;
      if (invalid) {
        const message = formatViolations(violations);
        state.note = { reason: 'InvalidSpec', message };
        if (!state.invalidReported) {
          state.invalidReported = true;
          deps.events.emit(obj, 'Warning', 'Failed', `invalid spec: ${message}`);
        }
      }

      obj = await initFinalizer(obj, signal);
      if (!obj) return {};
      const desired = await desiredPhase(obj, signal);
      if (!desired.obj) return {};
      obj = await conditions(desired.obj, state.note, signal);
      if (!obj) return {};
      const records = await recordsStep(key, obj, desired.decision.phase, invalid, state, signal);
      if (!records.obj) return {};
      obj = records.obj;
      // Conditions again, so the pass ends consistent (the records just changed, or a selection
      // just failed): the engine does not requeue on its own writes (see createKindController).
      obj = await conditions(obj, state.note, signal);
      if (!obj) return {};
      if (isDeleted(obj)) await cleanFinalizer(obj, signal);

      const result: ReconcileResult = { ...records.result };
      const at = earliest(result.requeueAt, desired.decision.expiresAt);
      if (at !== undefined) result.requeueAt = at;
      // An interrupted pass (a newer phase arrived, or the selection just got written) goes again.
      if (records.interrupted && !deps.stopping()) result.requeueAt = now();
      return result;
    },
  };
}
