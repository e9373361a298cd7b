// SPDX-License-Identifier: Apache-2.0
// A DaemonSet's RollingUpdate (k8s.io/kubernetes pkg/controller/daemon/update.go rollingUpdate):
// without surge, old pods are deleted (the manage loop then creates new ones) while at most
// maxUnavailable nodes lack an available pod, unavailable old pods first; with surge, a new pod
// is started beside the old one on up to maxSurge nodes, and the old one deleted once the new
// one is available.
import { scaledValue } from './deploymentUtil.js';
import { isPodUpdated, shouldRunOn } from './daemonPods.js';
import { podsByNode, syncNodes, type DaemonSetSync } from './daemonSetController.js';
import type { DaemonSet, Node, Pod } from './objects.js';
import { isPodAvailable } from './podState.js';

/** The new and the old pod of a node; `ok` false when it has two of either (findUpdatedPodsOnNode). */
function updatedPodsOnNode(pods: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}), ok: true };
}

/** maxSurge and maxUnavailable over the nodes that should run the pod (updatedDesiredNodeCounts). */
function updateBudget(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>) {
  let desired = 0;
  for (const node of nodes) {
    if (!shouldRunOn(ds, node).run) continue;
    desired += 1;
    if (!byNode.has(node.metadata.name)) byNode.set(node.metadata.name, []);
  }
  const rolling = ds.spec?.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaledValue(rolling?.maxUnavailable ?? 1, desired, true);
  const maxSurge = scaledValue(rolling?.maxSurge ?? 0, desired, true);
  if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** One RollingUpdate step. */
export async function rollingUpdate(
  sync: DaemonSetSync,
  ds: DaemonSet,
  nodes: Node[],
  hash: string,
): Promise<void> {
  const byNode = await podsByNode(sync, ds);
  const budget = updateBudget(ds, nodes, byNode);
  const now = Date.now();
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (pod: Pod) => isPodAvailable(pod, minReady, now);
  const step = budget.maxSurge === 0 ? replaceStep : surgeStep;
  const { toDelete, toCreate } = step(byNode, hash, budget, available);
  return syncNodes(sync, ds, toDelete, toCreate, hash);
}

/** What one step of a rollout does: pods to delete, nodes to create a pod on. */
interface UpdateStep {
  toDelete: Pod[];
  toCreate: string[];
}

/**
 * Without surge: old pods are deleted while fewer than maxUnavailable nodes lack an available
 * pod; old pods that are not available anyway go first and do not count.
 */
function replaceStep(
  byNode: Map<string, Pod[]>,
  hash: string,
  budget: { maxUnavailable: number },
  available: (pod: Pod) => boolean,
): UpdateStep {
  let unavailable = 0;
  const replace: Pod[] = [];
  const candidates: Pod[] = [];
  for (const pods of byNode.values()) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash);
    // Nothing, or both: the manage loop is at work there; it counts as unavailable.
    if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) unavailable += 1;
    else if (newPod) unavailable += available(newPod) ? 0 : 1;
    else if (!available(oldPod!)) replace.push(oldPod!);
    else if (unavailable < budget.maxUnavailable) candidates.push(oldPod!);
  }
  const room = Math.min(Math.max(0, budget.maxUnavailable - unavailable), candidates.length);
  return { toDelete: [...replace, ...candidates.slice(0, room)], toCreate: [] };
}

/**
 * With surge: a new pod starts beside the old one on up to maxSurge nodes at a time (at once
 * where the old one is not available), and the old one goes once the new one is available.
 */
function surgeStep(
  byNode: Map<string, Pod[]>,
  hash: string,
  budget: { maxSurge: number },
  available: (pod: Pod) => boolean,
): UpdateStep {
  let surged = 0;
  const allowed: string[] = [];
  const candidates: string[] = [];
  const toDelete: Pod[] = [];
  for (const [nodeName, pods] of byNode) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(pods, hash);
    if (!ok || !oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) allowed.push(nodeName);
      else if (surged < budget.maxSurge) candidates.push(nodeName);
    } else if (!available(newPod)) surged += 1;
    else toDelete.push(oldPod);
  }
  const room = Math.min(Math.max(0, budget.maxSurge - surged), candidates.length);
  return { toDelete, toCreate: [...allowed, ...candidates.slice(0, room)] };
}
