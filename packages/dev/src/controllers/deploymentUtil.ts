// SPDX-License-Identifier: Apache-2.0
// What the Deployment controller computes from a Deployment and its ReplicaSets
// (k8s.io/kubernetes pkg/controller/deployment/util): the surge and unavailability a rollout
// allows, revisions and the annotations that carry them, replica counts, conditions.
import type { IDeploymentCondition } from 'kubernetes-models/apps/v1/DeploymentCondition';
import type { IIntOrString } from '@kubernetes-models/apimachinery/util/intstr/IntOrString';
import { canonicalJson } from './podTemplateHash.js';
import type { Deployment, PodTemplateSpec, ReplicaSet } from './objects.js';

/** The label that ties a ReplicaSet and its pods to one pod template. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Longest revision-history annotation kept (the controller's default). */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** Deployment annotations never copied to its ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export type DeploymentCondition = IDeploymentCondition;

/** spec.replicas, 1 when unset (the defaulter's value). */
export function desiredReplicas(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

/** A ReplicaSet's spec.replicas (1 when unset). */
export function replicasOf(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 1;
}

/** True unless progressDeadlineSeconds is MaxInt32, which turns progress tracking off (HasProgressDeadline). */
export function hasProgressDeadline(d: Deployment): boolean {
  return (d.spec?.progressDeadlineSeconds ?? 600) !== 2 ** 31 - 1;
}

/** True for a RollingUpdate Deployment (the default strategy). */
export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** An int-or-percent of `total` (GetScaledValueFromIntOrPercent), rounded up or down. */
export function scaledValue(value: IIntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (!percent) return Number.parseInt(value, 10) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable of a rolling update (ResolveFenceposts): surge rounds up,
 * unavailable down, and both zero becomes one unavailable so a rollout can proceed.
 */
function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const rolling = d.spec?.strategy?.rollingUpdate;
  const replicas = desiredReplicas(d);
  const surge = scaledValue(rolling?.maxSurge ?? '25%', replicas, true);
  const unavailable = scaledValue(rolling?.maxUnavailable ?? '25%', replicas, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

/** Pods a rollout may run above spec.replicas (0 unless RollingUpdate). */
export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** Pods a rollout may have unavailable (0 unless RollingUpdate; at most spec.replicas). */
export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || desiredReplicas(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desiredReplicas(d));
}

/** The revision annotation as a number (0 when absent or not a number). */
export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const value = Number(obj.metadata.annotations?.[REVISION]);
  return Number.isInteger(value) ? value : 0;
}

/** Sums `field` over ReplicaSets. */
export function sumOf(replicaSets: readonly ReplicaSet[], field: (rs: ReplicaSet) => number | undefined) {
  return replicaSets.reduce((n, rs) => n + (field(rs) ?? 0), 0);
}

/** Desired pods of the ReplicaSets (GetReplicaCountForReplicaSets). */
export function specReplicas(replicaSets: readonly ReplicaSet[]): number {
  return sumOf(replicaSets, replicasOf);
}

/** ReplicaSets with pods desired (FilterActiveReplicaSets). */
export function activeOf(replicaSets: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return replicaSets.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
}

/**
 * Drops empty maps and lists, nulls and the pod-template-hash label, so templates compare
 * semantically: a null is Go's nil or zero value, the same as an absent field (kubectl's `rollout
 * undo` sends the template's `metadata.creationTimestamp: null`).
 */
function normalized(value: unknown, dropHash: boolean): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(v => normalized(v, false));
  if (value === null) return undefined;
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (dropHash && key === POD_TEMPLATE_HASH) continue;
    const next = normalized(inner, key === 'labels');
    if (next !== undefined && !(typeof next === 'object' && next !== null && Object.keys(next).length === 0))
      out[key] = next;
  }
  return out;
}

/**
 * True when two pod templates are equal but for the pod-template-hash label (EqualIgnoreHash);
 * empty and absent maps and lists are equal, as apimachinery's semantic equality has them.
 */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(normalized(a ?? {}, false)) === canonicalJson(normalized(b ?? {}, false));
}

/**
 * Annotations a ReplicaSet of `d` gets (SetNewReplicaSetAnnotations): the Deployment's own (but
 * its bookkeeping ones), the new revision when it is higher, the previous revision appended to
 * revision-history when an old ReplicaSet comes back (a rollback), and, for a new ReplicaSet,
 * desired-replicas and max-replicas. Returns the annotations and whether they changed.
 */
export function newReplicaSetAnnotations(
  d: Deployment,
  current: Record<string, string> | undefined,
  newRevision: number,
  exists: boolean,
): { annotations: Record<string, string>; changed: boolean } {
  const annotations = { ...(current ?? {}) };
  let changed = false;
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const oldRevision = annotations[REVISION];
  const oldNumber = oldRevision === undefined ? 0 : Number(oldRevision) || 0;
  if (oldNumber < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined && oldRevision !== '') appendHistory(annotations, oldRevision);
  }
  if (!exists) {
    annotations[DESIRED_REPLICAS] = String(desiredReplicas(d));
    annotations[MAX_REPLICAS] = String(desiredReplicas(d) + maxSurge(d));
    changed = true;
  }
  return { annotations, changed };
}

/** Appends `revision` to the revision-history annotation, dropping the oldest past its limit. */
function appendHistory(annotations: Record<string, string>, revision: string): void {
  const history = annotations[REVISION_HISTORY];
  if (!history) {
    annotations[REVISION_HISTORY] = revision;
    return;
  }
  const revisions = history.split(',');
  let length = history.length + revision.length + 1;
  let start = 0;
  while (length > MAX_REVISION_HISTORY_CHARS && start < revisions.length) {
    length -= revisions[start]!.length + 1;
    start += 1;
  }
  if (length <= MAX_REVISION_HISTORY_CHARS)
    annotations[REVISION_HISTORY] = [...revisions.slice(start), revision].join(',');
}

/** desired-replicas and max-replicas as they should be now; undefined when already so. */
export function replicasAnnotations(d: Deployment, rs: ReplicaSet): Record<string, string> | undefined {
  const desired = String(desiredReplicas(d));
  const max = String(desiredReplicas(d) + maxSurge(d));
  const current = rs.metadata.annotations ?? {};
  if (current[DESIRED_REPLICAS] === desired && current[MAX_REPLICAS] === max) return undefined;
  return { ...current, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
}

/** A Deployment condition as the controller writes it (NewDeploymentCondition). */
export function newCondition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
): DeploymentCondition {
  const now = new Date().toISOString();
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/**
 * Sets `condition` among `conditions` (SetDeploymentCondition): one with the same status and
 * reason is left as it is; a change keeps lastTransitionTime while the status is unchanged.
 */
export function setCondition(
  conditions: DeploymentCondition[],
  condition: DeploymentCondition,
): DeploymentCondition[] {
  const current = conditions.find(c => c.type === condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason)
    return conditions;
  const next =
    current && current.status === condition.status
      ? { ...condition, lastTransitionTime: current.lastTransitionTime }
      : condition;
  return [...conditions.filter(c => c.type !== condition.type), next];
}

/** The condition of `type`, if any. */
export function conditionOf(conditions: readonly DeploymentCondition[] | undefined, type: string) {
  return conditions?.find(c => c.type === type);
}
