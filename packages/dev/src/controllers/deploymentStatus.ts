// SPDX-License-Identifier: Apache-2.0
// A Deployment's status from its ReplicaSets (calculateStatus, syncRolloutStatus): the replica
// counts, the Available condition (minimum availability: spec.replicas - maxUnavailable), the
// Progressing condition (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
// NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused, DeploymentResumed) and
// the ReplicaFailure of its ReplicaSets. `kubectl rollout status` reads exactly these.
import type { IDeploymentStatus } from 'kubernetes-models/apps/v1/DeploymentStatus';
import {
  conditionOf,
  desiredReplicas,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  setCondition,
  sumOf,
  type DeploymentCondition,
} from './deploymentUtil.js';
import type { Deployment, ReplicaSet } from './objects.js';
import { withoutZeros } from './replicaSetController.js';

export type DeploymentStatus = IDeploymentStatus;

/** The counts and the Available condition (calculateStatus). */
export function calculateStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
): DeploymentStatus {
  const available = sumOf(all, rs => rs.status?.availableReplicas);
  const total = sumOf(all, rs => rs.spec?.replicas ?? 1);
  const minimum =
    available >= desiredReplicas(d) - maxUnavailable(d)
      ? newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : newCondition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        );
  return {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumOf(all, rs => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sumOf(all, rs => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: setCondition([...(d.status?.conditions ?? [])], minimum),
  };
}

/** True when every replica is updated and available, and the spec is observed (DeploymentComplete). */
export function deploymentComplete(d: Deployment, status: DeploymentStatus): boolean {
  const replicas = desiredReplicas(d);
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** True when `status` shows progress over the Deployment's current status (DeploymentProgressing). */
function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const before = d.status ?? {};
  const oldBefore = (before.replicas ?? 0) - (before.updatedReplicas ?? 0);
  const oldNow = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (before.updatedReplicas ?? 0) ||
    oldNow < oldBefore ||
    (status.readyReplicas ?? 0) > (before.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (before.availableReplicas ?? 0)
  );
}

/** progressDeadlineSeconds in ms, undefined when there is none (HasProgressDeadline). */
function progressDeadlineMs(d: Deployment): number | undefined {
  return hasProgressDeadline(d) ? (d.spec?.progressDeadlineSeconds ?? 600) * 1000 : undefined;
}

/** True when the Progressing condition has not moved for the deadline (DeploymentTimedOut). */
function timedOut(d: Deployment, status: DeploymentStatus, now: number): boolean {
  const deadline = progressDeadlineMs(d);
  const progressing = conditionOf(status.conditions, 'Progressing');
  if (deadline === undefined || !progressing) return false;
  if (progressing.reason === 'NewReplicaSetAvailable') return false;
  if (progressing.reason === 'ProgressDeadlineExceeded') return true;
  return Date.parse(progressing.lastUpdateTime ?? '') + deadline < now;
}

/** The Progressing condition a rollout has reached (the switch of syncRolloutStatus). */
function progressingCondition(
  d: Deployment,
  status: DeploymentStatus,
  newRS: ReplicaSet | undefined,
): DeploymentCondition[] | undefined {
  const conditions = status.conditions ?? [];
  const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (deploymentComplete(d, status)) {
    return setCondition(
      conditions,
      newCondition('Progressing', 'True', 'NewReplicaSetAvailable', `${what} has successfully progressed.`),
    );
  }
  if (deploymentProgressing(d, status)) {
    // Progress moves lastUpdateTime even with the same reason; lastTransitionTime stays.
    const current = conditionOf(d.status?.conditions, 'Progressing');
    const condition = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${what} is progressing.`);
    if (current?.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
    return [...conditions.filter(c => c.type !== 'Progressing'), condition];
  }
  if (timedOut(d, status, Date.now())) {
    return setCondition(
      conditions,
      newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `${what} has timed out progressing.`),
    );
  }
  return undefined;
}

/**
 * The status of a Deployment during a rollout (syncRolloutStatus): the counts, Progressing as
 * the rollout stands, and the ReplicaFailure of its ReplicaSets (the new one first).
 */
export function rolloutStatus(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
): DeploymentStatus {
  const status = calculateStatus(d, all, newRS);
  const deadline = progressDeadlineMs(d);
  if (deadline === undefined) {
    status.conditions = (status.conditions ?? []).filter(c => c.type !== 'Progressing');
  } else {
    const current = conditionOf(d.status?.conditions, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    if (!complete) status.conditions = progressingCondition(d, status, newRS) ?? status.conditions;
  }
  const failure = [newRS, ...all]
    .flatMap(rs => rs?.status?.conditions ?? [])
    .find(c => c.type === 'ReplicaFailure');
  const others = (status.conditions ?? []).filter(c => c.type !== 'ReplicaFailure');
  status.conditions = failure
    ? setCondition(others, { ...failure, lastUpdateTime: failure.lastTransitionTime })
    : others;
  return status;
}

/**
 * When a rollout still in progress should be looked at again: when its progress deadline would
 * pass (requeueStuckDeployment), or undefined.
 */
export function stuckRequeueMs(d: Deployment, status: DeploymentStatus): number | undefined {
  const deadline = progressDeadlineMs(d);
  const progressing = conditionOf(status.conditions, 'Progressing');
  if (deadline === undefined || !progressing || deploymentComplete(d, status)) return undefined;
  if (progressing.reason === 'ProgressDeadlineExceeded' || progressing.reason === 'NewReplicaSetAvailable')
    return undefined;
  return Math.max(0, Date.parse(progressing.lastUpdateTime ?? '') + deadline - Date.now()) + 1000;
}

/**
 * The Progressing condition for a pause or a resume (checkPausedConditions); undefined when it
 * stays as it is (no deadline, timed out, or already saying so).
 */
export function pausedConditions(d: Deployment): DeploymentCondition[] | undefined {
  if (progressDeadlineMs(d) === undefined) return undefined;
  const conditions = d.status?.conditions ?? [];
  const current = conditionOf(conditions, 'Progressing');
  if (current?.reason === 'ProgressDeadlineExceeded') return undefined;
  const paused = current?.reason === 'DeploymentPaused';
  if (d.spec?.paused === true && !paused)
    return setCondition(
      conditions,
      newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'),
    );
  if (d.spec?.paused !== true && paused)
    return setCondition(
      conditions,
      newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'),
    );
  return undefined;
}

/** The status as the API serves it: counts only when non-zero (but replicas), conditions when any. */
export function servedStatus(status: DeploymentStatus): DeploymentStatus {
  return withoutZeros({ ...status }) as DeploymentStatus;
}
