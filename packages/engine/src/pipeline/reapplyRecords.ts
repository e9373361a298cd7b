// SPDX-License-Identifier: Apache-2.0
// Re-applying records after their node's daemon was replaced. A daemon stopped gracefully
// recovers everything it tracks before it exits (so an uninstall never strands a fault); the
// instance that replaces it starts with nothing. A record still `Injected` whose apply went to
// the old instance is applied again on the new one, so the experiment goes on.
//
// Which records: those whose last apply called the daemon (ctx.daemon) on the target's node, in
// this operator process, of an object that is running (desired phase Run: not deleted, paused or
// past its duration) and not one-shot (a one-shot's effect is done when apply returns: a kill is
// not repeated). The instance an apply went to is the node's ready daemon endpoint when the call
// began (createDaemonInstances). Calls are idempotent per record on the daemon's side (changes and
// processes are keyed by object, record and name), so a daemon that adopted its faults after a
// crash, or a re-apply that raced a replacement, does no harm.
import { PHASE_INJECTED, type ChaosKind, type ChaosObject, type ContainerRecord } from '@chaosplane/sdk';
import type { DesiredPhase } from '@chaosplane/sdk/framework';
import type { DaemonInstances } from '../daemons/createDaemonInstances.js';

/** The daemon instance a record's last apply went to. */
export interface DaemonPlacement {
  /** The target's node. */
  node: string;
  /** The node's ready daemon instance when the apply began; undefined when none was known. */
  instance: string | undefined;
}

/** Per object: record id → where its last apply that called the daemon went. */
export type DaemonPlacements = Map<string, DaemonPlacement>;

/** A re-apply: the node whose daemon changed, and from which instance to which. */
export interface Reapply {
  node: string;
  from: string;
  to: string;
}

/** What one call learnt about the daemon: where its target was, and whether it called it. */
export interface DaemonProbe {
  node?: string;
  instance?: string;
  usedDaemon: boolean;
  /** A re-apply found its target gone or on another node: the record is left alone. */
  leftAlone?: boolean;
}

/** What deciding on re-applies needs. */
export interface ReapplyDeps {
  kind: ChaosKind;
  daemonInstances?: DaemonInstances | undefined;
  placements: DaemonPlacements;
}

/**
 * The re-apply `record` needs: it is exactly `Injected` with no call in doubt, the object runs
 * and is not one-shot, its last apply called a daemon instance that is known, and the node's
 * ready instance is now another one. Undefined otherwise (no ready daemon yet: wait for one).
 */
export function reapplyOf(
  deps: ReapplyDeps,
  obj: ChaosObject,
  record: ContainerRecord,
  desired: DesiredPhase,
): Reapply | undefined {
  if (desired !== 'Run' || record.phase !== PHASE_INJECTED || record.inFlight !== undefined) return undefined;
  const placement = deps.placements.get(record.id);
  if (placement?.instance === undefined || deps.daemonInstances === undefined) return undefined;
  if (deps.kind.isOneShot(obj as never)) return undefined;
  const current = deps.daemonInstances.instanceOn(placement.node);
  if (current === undefined || current === placement.instance) return undefined;
  return { node: placement.node, from: placement.instance, to: current };
}

/** True when the node changed since the re-apply was planned, or the target is gone: leave it. */
export function leavesAlone(reapply: Reapply | undefined, nodeName: string | undefined): boolean {
  return reapply !== undefined && nodeName !== reapply.node;
}

/** Keeps where `record`'s apply went (when it called the daemon), or forgets a record not Injected. */
export function notePlacement(
  placements: DaemonPlacements,
  record: ContainerRecord,
  probe: DaemonProbe,
): void {
  if (record.phase !== PHASE_INJECTED) placements.delete(record.id);
  else if (probe.usedDaemon && probe.node !== undefined)
    placements.set(record.id, { node: probe.node, instance: probe.instance });
}

/** Per object: record id → the re-apply it is under, until its apply lands (over retries). */
export type PendingReapplies = Map<string, Reapply>;

/**
 * The re-apply `record` just finished, if the call that settled it landed one (the first try or
 * a retry after a failure, say the old daemon's address still answering nothing); forgets it
 * once the record is neither injected nor being applied (recovered under a deletion).
 */
export function landedReapply(
  pending: PendingReapplies,
  record: ContainerRecord,
  succeeded: boolean,
): Reapply | undefined {
  const reapply = pending.get(record.id);
  if (reapply === undefined) return undefined;
  if (succeeded && record.phase === PHASE_INJECTED) {
    pending.delete(record.id);
    return reapply;
  }
  if (record.phase !== PHASE_INJECTED && record.inFlight === undefined) pending.delete(record.id);
  return undefined;
}

/** The re-applies of a pass, grouped by node and instance change, for one Event and log line each. */
export function reapplySummaries(reapplies: readonly Reapply[]): { reapply: Reapply; count: number }[] {
  const groups = new Map<string, { reapply: Reapply; count: number }>();
  for (const reapply of reapplies) {
    const key = `${reapply.node}\u0000${reapply.from}\u0000${reapply.to}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { reapply, count: 1 });
  }
  return [...groups.values()];
}
