// SPDX-License-Identifier: Apache-2.0
// How a Deployment moves between its ReplicaSets (k8s.io/kubernetes pkg/controller/deployment
// rolling.go, recreate.go, sync.go): RollingUpdate scales the new ReplicaSet up within maxSurge
// and the old ones down within maxUnavailable, unhealthy old pods first; Recreate scales every
// old ReplicaSet to zero and waits for their pods to be gone before it scales the new one up; a
// scale spreads the change over the active ReplicaSets in proportion to their size; a finished
// rollout deletes old, empty ReplicaSets beyond revisionHistoryLimit.
import { resourcePath, PODS } from '@chaosplane/kube';
import type { SyncResult } from './controllerLoop.js';
import {
  eventTarget,
  replicaSetsAndRevision,
  updateReplicaSet,
  writeStatusIfChanged,
  type DeploymentSync,
} from './deploymentController.js';
import {
  MAX_REPLICAS,
  activeOf,
  desiredReplicas,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  replicasAnnotations,
  replicasOf,
  revisionOf,
  specReplicas,
  sumOf,
} from './deploymentUtil.js';
import { calculateStatus, deploymentComplete, rolloutStatus, stuckRequeueMs } from './deploymentStatus.js';
import { byCreation, controllerOf, type Deployment, type Pod, type ReplicaSet } from './objects.js';
import { REPLICA_SETS } from './replicaSetController.js';

/** The replicas the new ReplicaSet may have now (NewRSNewReplicas). */
export function newReplicaSetReplicas(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return desiredReplicas(d);
  const current = specReplicas(all);
  const maxTotal = desiredReplicas(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, desiredReplicas(d) - replicasOf(newRS));
  return replicasOf(newRS) + scaleUp;
}

/**
 * Sets a ReplicaSet's replicas (and its desired/max-replicas annotations) and records the
 * ScalingReplicaSet Event; returns whether the size changed (scaleReplicaSet).
 */
async function scaleReplicaSet(sync: DeploymentSync, rs: ReplicaSet, size: number): Promise<boolean> {
  const before = replicasOf(rs);
  const annotations = replicasAnnotations(sync.d, rs);
  if (before === size && annotations === undefined) return false;
  await updateReplicaSet(sync, rs, { replicas: size, ...(annotations ? { annotations } : {}) });
  if (before === size) return false;
  const how = before < size ? 'up' : 'down';
  sync.events.emit(
    eventTarget(sync.d),
    'Normal',
    'ScalingReplicaSet',
    `Scaled ${how} replica set ${rs.metadata.name} from ${before} to ${size}`,
  );
  return true;
}

/** The latest version of a ReplicaSet the sync has written. */
function latest(sync: DeploymentSync, rs: ReplicaSet): ReplicaSet {
  return sync.replicaSets.find(r => r.metadata.uid === rs.metadata.uid) ?? rs;
}

/** Writes the rollout's status; asks to come back when its progress deadline would pass. */
async function finishRollout(
  sync: DeploymentSync,
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): Promise<SyncResult> {
  const all = [...oldRSs.map(rs => latest(sync, rs)), ...(newRS ? [latest(sync, newRS)] : [])];
  const status = rolloutStatus(sync.d, all, newRS && latest(sync, newRS));
  await writeStatusIfChanged(sync, status);
  const requeue = stuckRequeueMs(sync.d, status);
  return requeue === undefined ? undefined : { requeueAfterMs: requeue };
}

/** One RollingUpdate step (rolloutRolling). */
export async function rolloutRolling(sync: DeploymentSync): Promise<SyncResult> {
  const { newRS, oldRSs } = await replicaSetsAndRevision(sync, true);
  if (!newRS) return finishRollout(sync, newRS, oldRSs);
  const all = () => [...oldRSs.map(rs => latest(sync, rs)), latest(sync, newRS)];
  // Scale up first, then down: the new pods come before the old ones go.
  if (await reconcileNewReplicaSet(sync, all(), latest(sync, newRS)))
    return finishRollout(sync, newRS, oldRSs);
  if (await reconcileOldReplicaSets(sync, oldRSs, latest(sync, newRS)))
    return finishRollout(sync, newRS, oldRSs);
  const status = calculateStatus(sync.d, all(), latest(sync, newRS));
  if (deploymentComplete(sync.d, status)) await cleanupOldReplicaSets(sync, oldRSs);
  return finishRollout(sync, newRS, oldRSs);
}

/** Sizes the new ReplicaSet toward spec.replicas, within maxSurge (reconcileNewReplicaSet). */
async function reconcileNewReplicaSet(
  sync: DeploymentSync,
  all: ReplicaSet[],
  newRS: ReplicaSet,
): Promise<boolean> {
  const desired = desiredReplicas(sync.d);
  if (replicasOf(newRS) === desired) return false;
  if (replicasOf(newRS) > desired) return scaleReplicaSet(sync, newRS, desired);
  return scaleReplicaSet(sync, newRS, newReplicaSetReplicas(sync.d, all, newRS));
}

/**
 * Scales old ReplicaSets down as far as maxUnavailable allows, first their pods that are not
 * available anyway (reconcileOldReplicaSets).
 */
async function reconcileOldReplicaSets(
  sync: DeploymentSync,
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
): Promise<boolean> {
  const olds = () => activeOf(oldRSs.map(rs => latest(sync, rs)));
  if (specReplicas(olds()) === 0) return false;
  const allPods = specReplicas([...olds(), newRS]);
  const minAvailable = desiredReplicas(sync.d) - maxUnavailable(sync.d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = await cleanupUnhealthyReplicas(sync, olds(), maxScaledDown);
  const scaled = await scaleDownOldForRollingUpdate(sync, olds(), latest(sync, newRS));
  return cleaned + scaled > 0;
}

/** Scales away old pods that are not available, up to `limit` (cleanupUnhealthyReplicas). */
async function cleanupUnhealthyReplicas(
  sync: DeploymentSync,
  olds: ReplicaSet[],
  limit: number,
): Promise<number> {
  let total = 0;
  for (const rs of [...olds].sort(byCreation)) {
    if (total >= limit) break;
    const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
    if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
    const count = Math.min(limit - total, unhealthy);
    await scaleReplicaSet(sync, rs, replicasOf(rs) - count);
    total += count;
  }
  return total;
}

/** Scales old ReplicaSets down, oldest first, while minimum availability holds. */
async function scaleDownOldForRollingUpdate(
  sync: DeploymentSync,
  olds: ReplicaSet[],
  newRS: ReplicaSet,
): Promise<number> {
  const minAvailable = desiredReplicas(sync.d) - maxUnavailable(sync.d);
  const available = sumOf([...olds, newRS], rs => rs.status?.availableReplicas);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...olds].sort(byCreation)) {
    if (total >= toScaleDown) break;
    if (replicasOf(rs) === 0) continue;
    const count = Math.min(replicasOf(rs), toScaleDown - total);
    await scaleReplicaSet(sync, rs, replicasOf(rs) - count);
    total += count;
  }
  return total;
}

/** One Recreate step (rolloutRecreate). */
export async function rolloutRecreate(sync: DeploymentSync): Promise<SyncResult> {
  let { newRS, oldRSs } = await replicaSetsAndRevision(sync, false);
  let scaledDown = false;
  for (const rs of activeOf(oldRSs)) scaledDown = (await scaleReplicaSet(sync, rs, 0)) || scaledDown;
  if (scaledDown || oldPodsRunning(sync, newRS, oldRSs)) return finishRollout(sync, newRS, oldRSs);
  if (!newRS) ({ newRS, oldRSs } = await replicaSetsAndRevision(sync, true));
  if (newRS && replicasOf(latest(sync, newRS)) !== desiredReplicas(sync.d))
    await scaleReplicaSet(sync, latest(sync, newRS), desiredReplicas(sync.d));
  const all = [...oldRSs.map(rs => latest(sync, rs)), ...(newRS ? [latest(sync, newRS)] : [])];
  if (deploymentComplete(sync.d, calculateStatus(sync.d, all, newRS && latest(sync, newRS))))
    await cleanupOldReplicaSets(sync, oldRSs);
  return finishRollout(sync, newRS, oldRSs);
}

/** True while a pod of an old ReplicaSet has not ended (oldPodsRunning). */
function oldPodsRunning(sync: DeploymentSync, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  if (sumOf(oldRSs, rs => latest(sync, rs).status?.replicas) > 0) return true;
  const old = new Set(oldRSs.map(rs => rs.metadata.uid));
  return sync.ctx.informers
    .get<Pod>(resourcePath(PODS))
    .store.list()
    .some(pod => {
      const ref = controllerOf(pod);
      if (!ref || ref.uid === newRS?.metadata.uid || !old.has(ref.uid)) return false;
      return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
    });
}

/**
 * A scale without a rollout (sync): the only active ReplicaSet takes spec.replicas; with a
 * saturated new one the old go to zero; otherwise (a rollout in flight) the difference is
 * spread over the active ReplicaSets in proportion to their size, the leftover on the largest.
 */
export async function scaleDeployment(sync: DeploymentSync): Promise<SyncResult> {
  const { newRS, oldRSs } = await replicaSetsAndRevision(sync, false);
  await scaleReplicaSets(sync, newRS, oldRSs);
  if (sync.d.spec?.paused === true) await cleanupOldReplicaSets(sync, oldRSs);
  const all = [...oldRSs.map(rs => latest(sync, rs)), ...(newRS ? [latest(sync, newRS)] : [])];
  await writeStatusIfChanged(sync, calculateStatus(sync.d, all, newRS && latest(sync, newRS)));
}

/** The sizing of {@link scaleDeployment}. */
async function scaleReplicaSets(
  sync: DeploymentSync,
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): Promise<void> {
  const { d } = sync;
  const desired = desiredReplicas(d);
  const active = activeOf([newRS, ...oldRSs]);
  if (active.length <= 1) {
    const target = active[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
    if (target && replicasOf(target) !== desired) await scaleReplicaSet(sync, target, desired);
    return;
  }
  if (newRS && isSaturated(d, newRS)) {
    for (const rs of activeOf(oldRSs)) await scaleReplicaSet(sync, rs, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(active);
  if (toAdd === 0) return;
  // Largest first; ties: newer first when growing, older first when shrinking.
  const ordered = [...active].sort((a, b) => {
    if (replicasOf(a) !== replicasOf(b)) return replicasOf(b) - replicasOf(a);
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of ordered) {
    const share = proportion(d, rs, toAdd, added);
    sizes.set(rs, replicasOf(rs) + share);
    added += share;
  }
  sizes.set(ordered[0]!, Math.max(0, sizes.get(ordered[0]!)! + toAdd - added));
  for (const rs of ordered) await scaleReplicaSet(sync, rs, sizes.get(rs)!);
}

/** True when the new ReplicaSet has every replica, all available (IsSaturated). */
function isSaturated(d: Deployment, rs: ReplicaSet): boolean {
  const desired = desiredReplicas(d);
  return (
    Number(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']) === desired &&
    replicasOf(rs) === desired &&
    (rs.status?.availableReplicas ?? 0) === desired
  );
}

/** A ReplicaSet's share of `toAdd` (GetProportion), from the size it had before the scale. */
function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const allowed = toAdd - added;
  let fraction: number;
  if (desiredReplicas(d) === 0) fraction = -replicasOf(rs);
  else {
    const maxNow = desiredReplicas(d) + maxSurge(d);
    let maxBefore = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
    if (!Number.isInteger(maxBefore) || maxBefore === 0) maxBefore = d.status?.replicas ?? 0;
    fraction = maxBefore === 0 ? 0 : Math.round((replicasOf(rs) * maxNow) / maxBefore) - replicasOf(rs);
  }
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Deletes the oldest old ReplicaSets beyond revisionHistoryLimit, only empty ones whose status
 * is current (cleanupDeployment).
 */
async function cleanupOldReplicaSets(sync: DeploymentSync, oldRSs: ReplicaSet[]): Promise<void> {
  const limit = sync.d.spec?.revisionHistoryLimit ?? 10;
  const alive = oldRSs.map(rs => latest(sync, rs)).filter(rs => !rs.metadata.deletionTimestamp);
  const excess = alive.length - limit;
  if (excess <= 0) return;
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  for (const rs of byRevision.slice(0, excess)) {
    const busy =
      (rs.status?.replicas ?? 0) !== 0 ||
      replicasOf(rs) !== 0 ||
      (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0);
    if (busy) continue;
    await sync.ctx.kube
      .request('DELETE', resourcePath(REPLICA_SETS, rs.metadata.namespace, rs.metadata.name), {
        signal: sync.signal,
      })
      .catch(() => undefined);
  }
}
