// SPDX-License-Identifier: Apache-2.0
// How controllers read a pod's state (k8s.io/kubernetes pkg/api/v1/pod and controller_utils):
// ready, available after minReadySeconds, active (neither finished nor being deleted).
import type { Pod } from './objects.js';

/** The pod's Ready condition, if any. */
function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find(c => c.type === 'Ready');
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * True when the pod has been ready for at least `minReadySeconds` at `now` (IsPodAvailable):
 * with 0, as soon as it is ready.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readyCondition(pod)?.lastTransitionTime;
  return since !== undefined && Date.parse(since) + minReadySeconds * 1000 <= now;
}

/** How long until a ready pod becomes available (ms), or undefined when it is not ready. */
export function untilAvailableMs(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  if (!isPodReady(pod) || minReadySeconds <= 0) return undefined;
  const since = readyCondition(pod)?.lastTransitionTime;
  if (since === undefined) return undefined;
  return Math.max(0, Date.parse(since) + minReadySeconds * 1000 - now);
}

/** True when the pod ended (phase Succeeded or Failed). */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** True for a pod that counts as a replica: not finished and not being deleted (IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/** Restarts of every container. */
function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Since when the pod has been ready ('' when it is not). */
const readySince = (p: Pod) => (isPodReady(p) ? (readyCondition(p)?.lastTransitionTime ?? '') : '');

/** Compares two strings descending (newer timestamps first). */
const newerFirst = (a: string, b: string) => (a === b ? 0 : a > b ? -1 : 1);

/**
 * The criteria of {@link deletionOrder}, most important first; each compares two pods, negative
 * when the first should go first.
 */
const DELETION_CRITERIA: ((a: Pod, b: Pod) => number)[] = [
  (a, b) => Number(Boolean(a.spec?.nodeName)) - Number(Boolean(b.spec?.nodeName)),
  (a, b) => (PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0) - (PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0),
  (a, b) => Number(isPodReady(a)) - Number(isPodReady(b)),
  (a, b) => newerFirst(readySince(a), readySince(b)),
  (a, b) => restarts(b) - restarts(a),
  (a, b) => newerFirst(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''),
];

/**
 * Orders pods for scale-down, the first to delete first (controller.ActivePods): unscheduled
 * before scheduled, Pending before Unknown before Running, not ready before ready, ready for a
 * shorter time first, more restarts first, newer first.
 */
export function deletionOrder(a: Pod, b: Pod): number {
  for (const criterion of DELETION_CRITERIA) {
    const order = criterion(a, b);
    if (order !== 0) return order;
  }
  return 0;
}
