// SPDX-License-Identifier: Apache-2.0
// A scheduler for the dev control plane (kube-scheduler's default profile, as far as these nodes
// go): every pod without a node whose schedulerName is `default-scheduler` (or unset), and whose
// scheduling gates are all removed, is bound to a node through the pods/binding subresource. The
// filters are NodeUnschedulable (a cordoned node, unless the pod tolerates it), TaintToleration
// (NoSchedule and NoExecute taints) and NodeAffinity (nodeSelector and required node affinity,
// including the `metadata.name` field DaemonSet pods are pinned with); among the nodes left,
// the one with the fewest pods wins (spreading, as resource scoring would on equal nodes). A pod
// no node fits gets PodScheduled False (Unschedulable) and a FailedScheduling Event in
// kube-scheduler's words, and is tried again when nodes change.
import { resourcePath, PODS } from '@chaosplane/kube';
import type { ControllerContext, ControllerEvents } from './controllerContext.js';
import { createControllerLoop, type ControllerLoop, type SyncResult } from './controllerLoop.js';
import {
  UNSCHEDULABLE_TAINT,
  effectiveTaints,
  nodeAffinityMatches,
  untoleratedTaint,
} from './nodePlacement.js';
import { objectKey, type Node, type Pod } from './objects.js';
import { isPodTerminal } from './podState.js';

/** The nodes collection. */
export const NODES = { group: '', version: 'v1', plural: 'nodes' };

/** How long an unschedulable pod waits before it is tried again without a node change. */
const UNSCHEDULABLE_RETRY_MS = 30_000;

/** Starts the scheduler's watches; `run` drives it. */
export function createScheduler(ctx: ControllerContext): ControllerLoop {
  const pods = ctx.informers.get<Pod>(resourcePath(PODS));
  const nodes = ctx.informers.get<Node>(resourcePath(NODES));
  const events = ctx.events('default-scheduler');
  // Pods bound but not yet seen bound by the informer (kube-scheduler's assumed pods), so a
  // burst of pods spreads instead of landing on the node that looked emptiest to all of them.
  const assumed = new Map<string, string>();
  const loop = createControllerLoop({
    name: 'scheduler',
    log: ctx.log,
    sync: (key, signal) => schedule({ ctx, events, assumed }, key, signal),
  });
  pods.subscribe((pod, previous) => {
    if (!pod || pod.spec?.nodeName) assumed.delete(objectKey((pod ?? previous)!));
    if (pod && needsScheduling(pod)) loop.enqueue(objectKey(pod));
  });
  // A node that appears or changes may fit a pending pod.
  nodes.subscribe(() => {
    for (const pod of pods.store.list()) if (needsScheduling(pod)) loop.enqueue(objectKey(pod));
  });
  return loop;
}

/** True for a pod this scheduler should place. */
function needsScheduling(pod: Pod): boolean {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata.deletionTimestamp &&
    !isPodTerminal(pod) &&
    (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
    (pod.spec?.schedulingGates ?? []).length === 0
  );
}

/** Why `node` cannot take `pod`, in kube-scheduler's words; undefined when it can. */
export function filterNode(pod: Pod, node: Node): string | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  if (
    node.spec?.unschedulable === true &&
    untoleratedTaint([UNSCHEDULABLE_TAINT], tolerations, ['NoSchedule'])
  )
    return 'node(s) were unschedulable';
  // The default profile's filter order: NodeUnschedulable, TaintToleration, NodeAffinity; a
  // node is reported with the first filter it fails.
  const taints = effectiveTaints(node).filter(t => t.key !== UNSCHEDULABLE_TAINT.key);
  const taint = untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute']);
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (!nodeAffinityMatches(pod.spec, node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/**
 * The FailedScheduling message of kube-scheduler 1.32: `0/N nodes are available: ` and each
 * reason with its count, sorted, then what preemption found.
 */
export function unschedulableMessage(total: number, reasons: string[]): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return (
    `0/${total} nodes are available: ${histogram.join(', ')}. ` +
    `preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`
  );
}

/** What the scheduler's syncs share. */
interface SchedulerState {
  ctx: ControllerContext;
  events: ControllerEvents;
  /** Pod key → node it was bound to, until the informer shows the binding. */
  assumed: Map<string, string>;
}

/** Places one pod: binds it to the best node, or records why none fits. */
async function schedule(state: SchedulerState, key: string, signal: AbortSignal): Promise<SyncResult> {
  const { ctx, events } = state;
  const pod = ctx.informers.get<Pod>(resourcePath(PODS)).store.get(key);
  if (!pod || !needsScheduling(pod) || state.assumed.has(key)) return;
  const nodes = ctx.informers.get<Node>(resourcePath(NODES)).store.list();
  const reasons: string[] = [];
  const fits = nodes.filter(node => {
    const reason = filterNode(pod, node);
    if (reason !== undefined) reasons.push(reason);
    return reason === undefined;
  });
  const target = event(pod);
  if (fits.length === 0) {
    const message = unschedulableMessage(nodes.length, reasons);
    events.emit(target, 'Warning', 'FailedScheduling', message);
    await markUnschedulable(ctx, pod, message, signal);
    return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
  }
  const load = podsPerNode(ctx);
  for (const node of state.assumed.values()) load.set(node, (load.get(node) ?? 0) + 1);
  const chosen = fits.sort(
    (a, b) =>
      (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) ||
      a.metadata.name.localeCompare(b.metadata.name),
  )[0]!;
  const { namespace, name } = pod.metadata;
  await ctx.kube.request('POST', `${resourcePath(PODS, namespace, name)}/binding`, {
    body: {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: chosen.metadata.name },
    },
    signal,
  });
  events.emit(
    target,
    'Normal',
    'Scheduled',
    `Successfully assigned ${namespace}/${name} to ${chosen.metadata.name}`,
  );
  return undefined;
}

/** The pod as the object Events are about. */
function event(pod: Pod) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}

/** Pods bound to each node and still running there. */
function podsPerNode(ctx: ControllerContext): Map<string, number> {
  const load = new Map<string, number>();
  for (const pod of ctx.informers.get<Pod>(resourcePath(PODS)).store.list()) {
    const node = pod.spec?.nodeName;
    if (node && !isPodTerminal(pod)) load.set(node, (load.get(node) ?? 0) + 1);
  }
  return load;
}

/** Sets the pod's PodScheduled condition to False (Unschedulable) with the scheduler's message. */
async function markUnschedulable(ctx: ControllerContext, pod: Pod, message: string, signal: AbortSignal) {
  const conditions = pod.status?.conditions ?? [];
  const current = conditions.find(c => c.type === 'PodScheduled');
  if (current?.status === 'False' && current.message === message) return;
  const condition = {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message,
    lastProbeTime: null,
    lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : new Date().toISOString(),
  };
  await ctx.kube.request('PUT', `${resourcePath(PODS, pod.metadata.namespace, pod.metadata.name)}/status`, {
    body: {
      ...pod,
      status: {
        ...pod.status,
        conditions: [...conditions.filter(c => c.type !== 'PodScheduled'), condition],
      },
    },
    signal,
  });
}
