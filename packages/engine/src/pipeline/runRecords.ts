// SPDX-License-Identifier: Apache-2.0
// Step 4's second half: drive every record toward the desired phase with bounded parallelism,
// write-ahead markers, per-record back-off and coalesced status writes.
import {
  ChaosplaneError,
  type ChaosImpl,
  type ChaosKind,
  type ChaosObject,
  type ContainerRecord,
  type Logger,
  type Phase,
  type Target,
} from '@chaosplane/sdk';
import type { DesiredPhase, SelectorRegistry } from '@chaosplane/sdk/framework';
import { chaosLogger } from '@chaosplane/service';
import type { DaemonInstances } from '../daemons/createDaemonInstances.js';
import type { EventRecorder } from '../events/createEventRecorder.js';
import type { EngineMetrics } from '../metrics/createEngineMetrics.js';
import { markerFor, nextOperation, presentedPhase, type RecordOperation } from '../steps/recordPhases.js';
import {
  createImplContext,
  createPeerTargets,
  resolveTarget,
  selectedTarget,
  type ImplServices,
  type PeerTargets,
} from './createImplContext.js';
import { createRecordWriter, type RecordWriter } from './createRecordWriter.js';
import {
  landedReapply,
  leavesAlone,
  notePlacement,
  reapplyOf,
  reapplySummaries,
  type DaemonPlacements,
  type DaemonProbe,
  type PendingReapplies,
  type Reapply,
} from './reapplyRecords.js';
import { settleRecord, type CallResult, type Settled } from './settleRecord.js';

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
  kind: ChaosKind;
  impl: ChaosImpl;
  selectors: SelectorRegistry;
  services: ImplServices;
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
  /** The pipeline's clock (ms since epoch): back-off times are on the work queue's scale. */
  now: () => number;
  /** The daemon instance of each node; without it nothing is re-applied. */
  daemonInstances?: DaemonInstances;
  /** Where this object's records' applies called the daemon (kept across passes). */
  placements: DaemonPlacements;
  /** This object's records being applied again, until their apply lands (kept across passes). */
  reapplying: PendingReapplies;
}

export { MAX_RECORDS_BYTES, fitRecordEvents } from './fitRecordEvents.js';
export type { ImplServices } from './createImplContext.js';

/** The outcome of one pass over the records. */
export interface RecordRunResult {
  /** The newest object, or undefined when it disappeared. */
  obj: ChaosObject | undefined;
  /** When the earliest backed-off record may retry. */
  requeueAt?: number;
  /** True when the pass stopped early (a newer phase or shutdown); requeue now. */
  interrupted: boolean;
}

/** One record to call, which call, and the phase the plugin sees. */
interface Planned {
  index: number;
  operation: RecordOperation;
  /**
   * Read before the write-ahead marker is set: an interrupted apply being recovered is shown as
   * `Injected` (it may have taken effect), whatever the marker says by the time of the call.
   */
  presented: Phase;
  /** Set when an `Injected` record is applied again because its node's daemon was replaced. */
  reapply?: Reapply;
}

/** The records that need a call now, and when the earliest backed-off one may retry. */
function plan(
  records: readonly ContainerRecord[],
  desired: DesiredPhase,
  backoff: Map<string, RecordBackoff>,
  now: number,
  reapplyFor: (record: ContainerRecord) => Reapply | undefined,
): { todo: Planned[]; retryAt: number | undefined } {
  let retryAt: number | undefined;
  const todo: Planned[] = [];
  records.forEach((record, index) => {
    const operation = nextOperation(record, desired);
    if (!operation) {
      const reapply = reapplyFor(record);
      if (reapply) todo.push({ index, operation: 'apply', presented: record.phase, reapply });
      return;
    }
    const state = backoff.get(record.id);
    // A back-off earned while running must not delay the recover a deletion asks for.
    if (state && state.desired === desired && state.notBefore > now)
      retryAt = Math.min(retryAt ?? Infinity, state.notBefore);
    else todo.push({ index, operation, presented: presentedPhase(record, operation) });
  });
  return { todo, retryAt };
}

/**
 * Write-ahead: before a record's call starts, its `inFlight` marker is persisted, so a crash
 * between a call and its result never loses track of a fault that may be in place. Markers are
 * written a chunk ahead of the workers (not all at once), so after a crash only records that
 * were about to be touched are in doubt: a few workers' worth ahead, and at most ~8 marker
 * writes per pass for big objects (each write carries the whole records list).
 * Returns `ensureMarked(position)`: resolves once todo[position] is marked; false when the pass must end.
 */
function createMarker(
  todo: readonly Planned[],
  records: ContainerRecord[],
  writer: RecordWriter,
  parallelism: number,
): (position: number) => Promise<boolean> {
  const chunk = Math.max(1, parallelism * 4, Math.ceil(todo.length / 8));
  let markedUpTo = 0;
  let marking: Promise<void> | undefined;
  const markChunk = async () => {
    const end = Math.min(todo.length, markedUpTo + chunk);
    let changed = false;
    for (let k = markedUpTo; k < end; k += 1) {
      const { index, operation, reapply } = todo[k]!;
      const record = records[index]!;
      // A re-apply is marked as an apply in doubt: should the operator stop before its result is
      // written, the next one applies it again under Run, and recovers it under Stop.
      const marker = reapply ? 'Apply' : markerFor(record, operation);
      if (marker !== undefined && record.inFlight !== marker) {
        record.inFlight = marker;
        changed = true;
      }
    }
    if (changed) await writer.persist();
    markedUpTo = end;
  };
  return async position => {
    while (position >= markedUpTo) {
      marking ??= markChunk().finally(() => (marking = undefined));
      await marking;
      if (writer.error !== undefined || writer.gone) return false;
    }
    return true;
  };
}

/** The back-off of a record whose call failed, or whose plugin sub-phase is still on its way. */
function backOff(deps: RecordRunnerDeps, id: string, desired: DesiredPhase): number {
  const previous = deps.backoff.get(id);
  const failures = (previous?.desired === desired ? previous.failures : 0) + 1;
  const notBefore =
    deps.now() + Math.min(deps.options.backoffMaxMs, deps.options.backoffBaseMs * 2 ** (failures - 1));
  deps.backoff.set(id, { failures, notBefore, desired });
  return notBefore;
}

/** What implementation contexts of this runner are built from. */
function contextDepsOf(deps: RecordRunnerDeps) {
  return {
    kind: deps.kind,
    selectors: deps.selectors,
    services: deps.services,
    events: deps.events,
    signal: deps.implSignal,
  };
}

/**
 * Calls the plugin for one record: reads its target back, then apply or recover. `probe` learns
 * the target's node, that node's daemon instance and whether the plugin called the daemon.
 */
async function invoke(
  deps: RecordRunnerDeps,
  obj: ChaosObject,
  record: ContainerRecord,
  planned: Planned,
  peers: PeerTargets,
  probe: DaemonProbe,
): Promise<Phase> {
  const { operation, presented: phase, reapply } = planned;
  const contextDeps = { ...contextDepsOf(deps), peers, onDaemon: () => (probe.usedDaemon = true) };
  const log = chaosLogger(deps.log, { record: record.id });
  let target: Target;
  try {
    target = await resolveTarget(contextDeps, obj, record);
  } catch (error) {
    // A re-apply whose target is gone leaves the record as it is (its recover will find it gone).
    if (reapply && ChaosplaneError.isKind(error, 'not-found')) return leaveAlone(probe, record);
    // The plugin says what a gone target means for its apply (a kill is done); recover never asks.
    if (operation !== 'apply' || !deps.impl.whenTargetGone || !ChaosplaneError.isKind(error, 'not-found'))
      throw error;
    const selected = selectedTarget(contextDeps, obj, record);
    return deps.impl.whenTargetGone(createImplContext(contextDeps, obj, record, selected, phase, log), error);
  }
  if (leavesAlone(reapply, target.nodeName)) return leaveAlone(probe, record);
  if (target.nodeName !== undefined) {
    probe.node = target.nodeName;
    const instance = deps.daemonInstances?.instanceOn(target.nodeName);
    if (instance !== undefined) probe.instance = instance;
  }
  const context = createImplContext(contextDeps, obj, record, target, phase, log);
  return operation === 'apply' ? deps.impl.apply(context) : deps.impl.recover(context);
}

/** A re-apply that does not happen: the record keeps its phase. */
function leaveAlone(probe: DaemonProbe, record: ContainerRecord): Phase {
  probe.leftAlone = true;
  return record.phase;
}

/** Runs one planned call and times it; a failure is a result, not a throw. */
async function call(
  deps: RecordRunnerDeps,
  obj: ChaosObject,
  record: ContainerRecord,
  planned: Planned,
  peers: PeerTargets,
  probe: DaemonProbe,
): Promise<CallResult> {
  const { operation } = planned;
  const began = performance.now();
  try {
    return { ok: true, phase: await invoke(deps, obj, record, planned, peers, probe) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    deps.metrics?.recordOperationSeconds.observe(
      { kind: deps.kind.kind, operation },
      (performance.now() - began) / 1000,
    );
  }
}

/** One log line per node whose daemon was replaced, before the calls. */
function announceReapplies(deps: RecordRunnerDeps, todo: readonly Planned[]): void {
  const reapplies = todo.flatMap(planned => (planned.reapply ? [planned.reapply] : []));
  for (const { reapply, count } of reapplySummaries(reapplies)) {
    deps.log.info('re-applying records: the chaos daemon of their node was replaced', {
      node: reapply.node,
      previousInstance: reapply.from,
      instance: reapply.to,
      records: count,
    });
  }
}

/** One Event (`Reinjected`) per node whose daemon was replaced, naming how many records are back. */
function reportReinjections(deps: RecordRunnerDeps, obj: ChaosObject, reinjected: readonly Reapply[]): void {
  for (const { reapply, count } of reapplySummaries(reinjected)) {
    const message =
      `the chaos daemon on node ${reapply.node} was replaced (instance ${reapply.from} → ${reapply.to}): ` +
      `${count} injected record${count === 1 ? '' : 's'} applied again`;
    deps.events.emit(obj, 'Normal', 'Reinjected', message);
    deps.log.info('records applied again on the new chaos daemon of their node', {
      node: reapply.node,
      instance: reapply.to,
      records: count,
    });
  }
}

/** A re-apply whose target is gone or moved: the record keeps its phase, without the marker. */
function leftAlone(deps: RecordRunnerDeps, record: ContainerRecord, writer: RecordWriter): void {
  delete record.inFlight;
  deps.placements.delete(record.id);
  deps.reapplying.delete(record.id);
  writer.changed();
}

/** Settles a call on its record, and reports it (metrics, the Event, a failure's log line). */
function settle(
  deps: RecordRunnerDeps,
  obj: ChaosObject,
  record: ContainerRecord,
  operation: RecordOperation,
  result: CallResult,
  desired: DesiredPhase,
): Settled {
  const settled = settleRecord(record, operation, result, desired, deps.options.maxRecordEvents);
  deps.metrics?.recordOperations.inc({ kind: deps.kind.kind, operation, result: settled.outcome });
  if (settled.event) deps.events.emit(obj, settled.event.type, settled.event.reason, settled.event.message);
  if (settled.failure !== undefined && settled.outcome === 'error')
    chaosLogger(deps.log, { record: record.id }).warn(`${operation} failed`, { error: settled.failure });
  return settled;
}

/** Drives the records of `start` one pass toward `desired`. */
export async function runRecords(
  deps: RecordRunnerDeps,
  start: ChaosObject,
  desired: DesiredPhase,
): Promise<RecordRunResult> {
  const records = (start.status?.experiment?.containerRecords ?? []).map(record => ({ ...record }));
  const { todo, retryAt } = plan(records, desired, deps.backoff, deps.now(), record =>
    reapplyOf(deps, start, record, desired),
  );
  let requeueAt = retryAt;
  const later = (at: number) => (requeueAt = Math.min(requeueAt ?? Infinity, at));
  if (todo.length === 0) return { obj: start, interrupted: false, ...(requeueAt ? { requeueAt } : {}) };

  const writer = createRecordWriter(start, records, deps.writeRecords, deps.options.flushIntervalMs);
  const ensureMarked = createMarker(todo, records, writer, deps.options.parallelism);
  const peers = createPeerTargets(contextDepsOf(deps), start);
  announceReapplies(deps, todo);
  for (const { index, reapply } of todo) if (reapply) deps.reapplying.set(records[index]!.id, reapply);
  const reinjected: Reapply[] = [];
  let next = 0;
  let interrupted = false;
  const worker = async () => {
    while (next < todo.length) {
      if (writer.error !== undefined || writer.gone || deps.shouldStop()) {
        interrupted = true;
        return;
      }
      const position = next;
      next += 1;
      if (!(await ensureMarked(position))) {
        interrupted = true;
        return;
      }
      const planned = todo[position]!;
      const { index, operation } = planned;
      const record = records[index]!;
      const probe: DaemonProbe = { usedDaemon: false };
      const result = await call(deps, start, record, planned, peers, probe);
      if (probe.leftAlone) {
        leftAlone(deps, record, writer);
        continue;
      }
      const settled = settle(deps, start, record, operation, result, desired);
      notePlacement(deps.placements, record, probe);
      const landed = landedReapply(deps.reapplying, record, settled.outcome === 'success');
      if (landed) reinjected.push(landed);
      if (!settled.done) later(backOff(deps, record.id, desired));
      // Done with this call, but maybe not with the record: an apply that finished under Stop (a
      // sub-phase caught by a deletion) still needs its recover, and a recover under Run its
      // apply. Go on at once (nothing else would requeue the object), but keep the failure count
      // until the record is where it should be, so apply/recover flapping still backs off.
      else if (nextOperation(record, desired) === undefined) deps.backoff.delete(record.id);
      else later(deps.now());
      writer.changed();
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.options.parallelism, todo.length) }, worker));
  await writer.finish();
  reportReinjections(deps, start, reinjected);
  if (writer.error !== undefined) throw writer.error;
  return { obj: writer.obj, interrupted, ...(requeueAt ? { requeueAt } : {}) };
}
