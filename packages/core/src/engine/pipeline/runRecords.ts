// SPDX-License-Identifier: Apache-2.0
// Step 4's second half: drive every record toward the desired phase with bounded parallelism,
// write-ahead markers, per-record back-off and coalesced status writes.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ChaosObject } from '../../api/ChaosObject.js';
import { PHASE_INJECTED, PHASE_NOT_INJECTED, isInjectedPhase, isNotInjectedPhase } from '../../api/phase.js';
import type { ContainerRecord, DesiredPhase, RecordEvent } from '../../api/status.js';
import { isTargetGone } from '../../errors/isTargetGone.js';
import { chaosLogger, type Logger } from '../../logging/createLogger.js';
import type { ChaosImpl } from '../../plugin/types.js';
import type { EventRecorder } from '../events/createEventRecorder.js';
import type { EngineMetrics } from '../metrics/createEngineMetrics.js';
import { markerFor, nextOperation, presentedPhase, type RecordOperation } from '../steps/recordPhases.js';

/** Back-off state of one record. */
export interface RecordBackoff {
  failures: number;
  notBefore: number;
  /** The desired phase it was earned under: a change (a deletion, a pause) is not held back. */
  desired: DesiredPhase;
}

/** Tunables of the records runner. */
export interface RecordRunnerOptions {
  /** Records applied or recovered at once per object (default 16). */
  parallelism: number;
  /** Least time between two status writes while records progress (ms, default 200). */
  flushIntervalMs: number;
  /** Events kept per record, oldest dropped first (default 10). */
  maxRecordEvents: number;
  /** First per-record retry delay (ms, default 200). */
  backoffBaseMs: number;
  /** Per-record retry cap (ms, default 2 minutes). */
  backoffMaxMs: number;
}

/** What the runner needs from its pipeline. */
export interface RecordRunnerDeps {
  kindName: string;
  impl: ChaosImpl;
  kube: KubeConfig;
  log: Logger;
  events: EventRecorder;
  metrics: EngineMetrics | undefined;
  options: RecordRunnerOptions;
  /** Writes `records` (and the plugin's custom status) as the object's records; undefined when gone. */
  writeRecords: (obj: ChaosObject, records: ContainerRecord[]) => Promise<ChaosObject | undefined>;
  /** True when the pass should stop taking new records (phase changed, shutting down). */
  shouldStop: () => boolean;
  /** Per-record back-off of this object. */
  backoff: Map<string, RecordBackoff>;
  /** Signal handed to plugins: aborted only on a hard stop. */
  implSignal: AbortSignal;
}

/** The outcome of one pass over the records. */
export interface RecordRunResult {
  /** The newest object, or undefined when it disappeared. */
  obj: ChaosObject | undefined;
  /** When the earliest backed-off record may retry. */
  requeueAt?: number;
  /** True when the pass stopped early (a newer phase or shutdown); requeue now. */
  interrupted: boolean;
}

/** The phase a plugin asks to keep when it throws: `Object.assign(error, { phase })`. */
function phaseCarriedBy(error: unknown): string | undefined {
  const phase = (error as { phase?: unknown } | null)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/** True for `Injected`, `Not Injected` and their sub-phases: what apply and recover may return. */
const isPhase = (phase: unknown): phase is string =>
  typeof phase === 'string' && (isInjectedPhase(phase) || isNotInjectedPhase(phase));

/**
 * Failure messages are capped: they are stored in every record's events, and the whole records
 * list must stay well under the API server's object size limit (etcd's 1.5 MiB by default).
 */
const MAX_MESSAGE = 512;
const messageOf = (error: unknown) => {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
};

/**
 * The most the records list may weigh as JSON. etcd refuses objects over 1.5 MiB by default;
 * the rest of the object (spec, metadata, conditions) needs room too.
 */
export const MAX_RECORDS_BYTES = 1024 * 1024;

/**
 * Keeps a records list under {@link MAX_RECORDS_BYTES} by keeping fewer of each record's newest
 * events (halving until it fits, down to none). Phases and counts are never cut: losing them
 * would lose track of injected faults; the events are history.
 */
export function fitRecordEvents(records: ContainerRecord[], maxBytes = MAX_RECORDS_BYTES): ContainerRecord[] {
  let size = JSON.stringify(records).length;
  if (size <= maxBytes) return records;
  let keep = Math.max(0, ...records.map(r => r.events?.length ?? 0));
  let fitted = records;
  while (size > maxBytes && keep > 0) {
    keep = Math.floor(keep / 2);
    fitted = records.map(r =>
      r.events && r.events.length > keep ? { ...r, events: r.events.slice(r.events.length - keep) } : r,
    );
    size = JSON.stringify(fitted).length;
  }
  return fitted;
}

/** Drives the records of `obj` one pass toward `desired`. */
export async function runRecords(
  deps: RecordRunnerDeps,
  start: ChaosObject,
  desired: DesiredPhase,
): Promise<RecordRunResult> {
  const { options, backoff } = deps;
  const source = start.status?.experiment?.containerRecords ?? [];
  const records: ContainerRecord[] = source.map(record => ({ ...record }));
  const now = Date.now();
  let requeueAt: number | undefined;
  const later = (at: number) => (requeueAt = requeueAt === undefined ? at : Math.min(requeueAt, at));
  const todo: { index: number; operation: RecordOperation }[] = [];
  records.forEach((record, index) => {
    const operation = nextOperation(record.phase, desired);
    if (!operation) return;
    const state = backoff.get(record.id);
    // A back-off earned while running must not delay the recover a deletion asks for.
    if (state && state.desired === desired && state.notBefore > now) later(state.notBefore);
    else todo.push({ index, operation });
  });
  if (todo.length === 0) return { obj: start, interrupted: false, ...(requeueAt ? { requeueAt } : {}) };

  // Write-ahead: before a record's call starts, its marker is persisted, so a crash between
  // a call and its result never loses track of a fault that may be in place. Markers are
  // written a chunk ahead of the workers (not all at once), so after a crash only records
  // that were about to be touched are in doubt.
  let obj: ChaosObject | undefined = start;
  const inFlight = new Map<number, string>(); // index → phase to persist while the call runs
  const persisted = () =>
    fitRecordEvents(
      records.map((record, index) => {
        const stored = inFlight.get(index);
        return stored === undefined ? { ...record } : { ...record, phase: stored };
      }),
    );
  let dirty = false;
  let lastFlush = Date.now();
  let flushError: Error | undefined;
  let gone = false;
  // Every write of the records goes through one chain and snapshots the records when its turn
  // comes, so an older snapshot can never land after a newer one.
  let chain: Promise<void> = Promise.resolve();
  let flushQueued = false;
  const persist = () => {
    chain = chain.then(async () => {
      if (flushError !== undefined || gone) return;
      dirty = false;
      lastFlush = Date.now();
      try {
        const written: ChaosObject | undefined = await deps.writeRecords(obj!, persisted());
        if (!written) gone = true;
        else obj = written;
      } catch (error) {
        flushError ??= error instanceof Error ? error : new Error(String(error));
      }
    });
    return chain;
  };
  const maybeFlush = () => {
    if (!dirty || flushQueued || Date.now() - lastFlush < options.flushIntervalMs) return;
    flushQueued = true;
    void persist().finally(() => (flushQueued = false));
  };
  // A few workers' worth ahead, and at most ~8 marker writes per pass for big objects (each
  // write carries the whole records list).
  const chunk = Math.max(1, options.parallelism * 4, Math.ceil(todo.length / 8));
  let markedUpTo = 0;
  let marking: Promise<void> | undefined;
  /** Resolves once todo[position] has its marker persisted; false when the pass must end. */
  const ensureMarked = async (position: number): Promise<boolean> => {
    while (position >= markedUpTo) {
      marking ??= (async () => {
        const end = Math.min(todo.length, markedUpTo + chunk);
        let changed = false;
        for (let k = markedUpTo; k < end; k += 1) {
          const { index, operation } = todo[k]!;
          const marker = markerFor(records[index]!.phase, operation);
          if (marker) {
            records[index]!.phase = marker;
            changed = true;
          }
        }
        if (changed) await persist();
        markedUpTo = end;
      })().finally(() => (marking = undefined));
      await marking;
      if (flushError !== undefined || gone) return false;
    }
    return true;
  };

  const settle = (
    index: number,
    stored: string,
    operation: RecordOperation,
    result: { phase?: string; error?: unknown },
  ) => {
    const record = records[index]!;
    const log = chaosLogger(deps.log, { record: record.id });
    const at = new Date().toISOString();
    const events: RecordEvent[] = [];
    const failed = (message: string) => {
      events.push({
        type: 'Failed',
        operation: operation === 'apply' ? 'Apply' : 'Recover',
        message,
        timestamp: at,
      });
      deps.events.emit(start, 'Warning', 'Failed', `${operation} ${record.id}: ${message}`);
    };
    let done = false;
    if (result.error !== undefined && isTargetGone(result.error)) {
      // The target is gone. Nothing of it can be injected any more, so it counts as recovered:
      // a deletion never hangs in Terminating on a vanished pod.
      record.phase = PHASE_NOT_INJECTED;
      if (operation === 'recover') {
        record.recoveredCount += 1;
        events.push({ type: 'Succeeded', operation: 'Recover', message: 'target gone', timestamp: at });
        deps.events.emit(start, 'Normal', 'Recovered', `${record.id} (target gone)`);
        done = true;
      } else {
        failed(`target not found: ${messageOf(result.error)}`);
      }
      deps.metrics?.recordOperations.inc({ kind: deps.kindName, operation, result: 'gone' });
    } else if (result.error === undefined && !isPhase(result.phase)) {
      // A plugin bug: nothing else could tell apply from recover for this record next time.
      record.phase = stored;
      failed(
        `${operation} returned ${JSON.stringify(result.phase)}, not a phase (Injected or Not Injected, or a sub-phase of one)`,
      );
      deps.metrics?.recordOperations.inc({ kind: deps.kindName, operation, result: 'error' });
    } else if (result.error !== undefined) {
      record.phase = phaseCarriedBy(result.error) ?? stored;
      failed(messageOf(result.error));
      log.warn(`${operation} failed`, { error: messageOf(result.error) });
      deps.metrics?.recordOperations.inc({ kind: deps.kindName, operation, result: 'error' });
    } else {
      record.phase = result.phase!;
      deps.metrics?.recordOperations.inc({ kind: deps.kindName, operation, result: 'success' });
      if (operation === 'apply' && record.phase === PHASE_INJECTED) {
        record.injectedCount += 1;
        events.push({ type: 'Succeeded', operation: 'Apply', timestamp: at });
        deps.events.emit(start, 'Normal', 'Applied', record.id);
        done = true;
      } else if (operation === 'recover' && record.phase === PHASE_NOT_INJECTED) {
        record.recoveredCount += 1;
        events.push({ type: 'Succeeded', operation: 'Recover', timestamp: at });
        deps.events.emit(start, 'Normal', 'Recovered', record.id);
        done = true;
      } else if (nextOperation(record.phase, desired) === undefined) {
        done = true;
      }
    }
    if (events.length > 0)
      record.events = [...(record.events ?? []), ...events].slice(-options.maxRecordEvents);
    if (done) {
      // Done with this call, but maybe not with the record: an apply that finished under Stop
      // (a sub-phase caught by a deletion) still needs its recover, and a recover under Run its
      // apply. Go on at once (nothing else would requeue the object), but keep the failure
      // count until the record is where it should be, so apply/recover flapping still backs off.
      if (nextOperation(record.phase, desired) === undefined) backoff.delete(record.id);
      else later(Date.now());
    } else {
      // A failure, or a plugin sub-phase still on its way (`Not Injected/Wait`): poll this
      // record alone with back-off, and let the others go on.
      const previous = backoff.get(record.id);
      const failures = (previous?.desired === desired ? previous.failures : 0) + 1;
      const notBefore =
        Date.now() + Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (failures - 1));
      backoff.set(record.id, { failures, notBefore, desired });
      later(notBefore);
    }
  };

  let next = 0;
  let interrupted = false;
  const worker = async () => {
    while (next < todo.length) {
      if (flushError !== undefined || gone || deps.shouldStop()) {
        interrupted = true;
        return;
      }
      const position = next;
      next += 1;
      if (!(await ensureMarked(position))) {
        interrupted = true;
        return;
      }
      const { index, operation } = todo[position]!;
      const record = records[index]!;
      const stored = record.phase;
      inFlight.set(index, stored);
      record.phase = presentedPhase(stored, operation);
      const began = performance.now();
      let result: { phase?: string; error?: unknown };
      try {
        const context = {
          index,
          records,
          obj: start,
          signal: deps.implSignal,
          log: chaosLogger(deps.log, { record: record.id }),
          kube: deps.kube,
          // What a plugin learns (a daemon's output, say) goes on the object as Events,
          // through the same rate-limited recorder as the engine's own.
          events: {
            normal: (reason: string, message: string) => deps.events.emit(start, 'Normal', reason, message),
            warning: (reason: string, message: string) => deps.events.emit(start, 'Warning', reason, message),
          },
        };
        result = {
          phase: await (operation === 'apply' ? deps.impl.apply(context) : deps.impl.recover(context)),
        };
      } catch (error) {
        result = { error };
      }
      deps.metrics?.recordOperationSeconds.observe(
        { kind: deps.kindName, operation },
        (performance.now() - began) / 1000,
      );
      inFlight.delete(index);
      settle(index, stored, operation, result);
      dirty = true;
      maybeFlush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallelism, todo.length) }, worker));
  await chain;
  if (dirty && !gone && flushError === undefined) await persist();
  if (flushError !== undefined) throw flushError;
  return { obj: gone ? undefined : obj, interrupted, ...(requeueAt ? { requeueAt } : {}) };
}
