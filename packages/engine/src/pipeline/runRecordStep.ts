// SPDX-License-Identifier: Apache-2.0
// Step 4: select the records of an object that has none, then drive them toward the desired
// phase (runRecords), ending the pass early once a newer desired phase arrives.
import type { ChaosObject, ChaosStatus, ContainerRecord } from '@chaosplane/sdk';
import type { DesiredPhase } from '@chaosplane/sdk/framework';
import { chaosLogger } from '@chaosplane/service';
import { computeDesiredPhase } from '../steps/desiredPhase.js';
import type { ObjectState, PipelineContext, ReconcileResult } from './createPipeline.js';
import { runRecords } from './runRecords.js';
import { selectRecords } from './selectRecords.js';

/** The outcome of step 4. */
export interface RecordStepResult {
  /** The newest object, or undefined when it disappeared. */
  obj: ChaosObject | undefined;
  result: ReconcileResult;
  /** True when the pass stopped early (a newer phase or shutdown). */
  interrupted?: boolean;
}

/**
 * Step 4 for `obj` (the newest copy of `key`): selects its records if it has none, then runs
 * them toward `desired` (toward Stop for an `invalid` spec).
 */
export async function runRecordStep(
  ctx: PipelineContext,
  key: string,
  obj: ChaosObject,
  desired: DesiredPhase,
  invalid: boolean,
  state: ObjectState,
  signal: AbortSignal,
): Promise<RecordStepResult> {
  let current: ChaosObject | undefined = obj;
  const existing = obj.status?.experiment?.containerRecords;
  // An invalid spec is never injected; records it may somehow have are still recovered.
  const effective: DesiredPhase = invalid ? 'Stop' : desired;
  if (!existing || existing.length === 0) {
    // Nothing to select for a stopped experiment (deleted, paused or expired before selection).
    if (effective === 'Stop') return { obj, result: {} };
    const selection = await selectRecords(ctx.kind, ctx.selectors, obj, signal);
    if ('note' in selection) {
      state.note = selection.note;
      ctx.events.emit(obj, 'Warning', 'Failed', `select targets: ${selection.note.message}`);
      return { obj, result: { retry: true } };
    }
    delete state.note;
    for (const field of selection.defaulted) {
      ctx.events.emit(
        obj,
        'Normal',
        'NamespaceDefaulted',
        `${field} is empty: pods were selected in ${obj.metadata.namespace ?? 'default'}, the object's own namespace (as Chaos Mesh's defaulting webhook would write)`,
      );
    }
    current = await writeRecords(ctx, signal, () => obj.status)(obj, selection.records);
    if (!current) return { obj: undefined, result: {} };
  }
  // Plugins get `handed` as ctx.obj (a copy: the informer's object stays untouched); custom
  // status fields they set on it are written back with the records.
  const handed: ChaosObject = { ...current, status: { ...current.status } };
  const outcome = await runRecords(
    {
      kind: ctx.kind,
      impl: ctx.impl,
      selectors: ctx.selectors,
      services: ctx.services,
      log: chaosLogger(ctx.log, {
        namespace: obj.metadata.namespace ?? '',
        name: obj.metadata.name ?? '',
      }),
      events: ctx.events,
      metrics: ctx.metrics,
      options: ctx.records,
      writeRecords: writeRecords(ctx, signal, () => handed.status),
      backoff: state.backoff,
      placements: state.placements,
      reapplying: state.reapplying,
      ...(ctx.daemonInstances ? { daemonInstances: ctx.daemonInstances } : {}),
      implSignal: ctx.implSignal,
      now: ctx.now,
      shouldStop: stopWhenSuperseded(ctx, key, desired, invalid, signal),
    },
    handed,
    effective,
  );
  const result: ReconcileResult = {};
  if (outcome.requeueAt !== undefined) result.requeueAt = outcome.requeueAt;
  return { obj: outcome.obj, result, interrupted: outcome.interrupted };
}

/** Writes the records field (and the plugin's custom status fields) with conflict retries. */
function writeRecords(ctx: PipelineContext, signal: AbortSignal, custom: () => ChaosStatus | undefined) {
  return (obj: ChaosObject, records: ContainerRecord[]) =>
    ctx.objects.write(
      obj,
      'status',
      fresh => {
        const status: ChaosStatus = { ...fresh.status };
        // A plugin may keep its own status fields beside conditions/experiment (Chaos Mesh's
        // custom status, e.g. instances): carry them over from the object it was handed.
        for (const [field, value] of Object.entries(custom() ?? {}))
          if (field !== 'conditions' && field !== 'experiment') status[field] = value;
        status.experiment = { ...status.experiment, containerRecords: records };
        return { ...fresh, status };
      },
      signal,
    );
}

/**
 * The runner's `shouldStop`: true once the engine stops or `signal` aborts, or once the newest
 * copy of `key` is gone or wants another phase than `desired`.
 */
function stopWhenSuperseded(
  ctx: PipelineContext,
  key: string,
  desired: DesiredPhase,
  invalid: boolean,
  signal: AbortSignal,
): () => boolean {
  let lastSeen: ChaosObject | undefined;
  let lastStop = false;
  return () => {
    if (ctx.stopping() || signal.aborted) return true;
    const seen = ctx.objects.latest(key);
    if (seen !== lastSeen) {
      lastSeen = seen;
      // A newer desired phase (deleted, paused, resumed, expired) ends this pass early.
      lastStop = !seen || (!invalid && computeDesiredPhase(ctx.kind, seen, ctx.now()).phase !== desired);
    }
    return lastStop;
  };
}
