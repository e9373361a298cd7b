// SPDX-License-Identifier: Apache-2.0
// The DaemonSet controller (kube-controller-manager's daemonset-controller): one pod per node
// that should run it (nodeSelector, required node affinity, taints against the pod's
// tolerations plus the defaults every daemon pod gets), created with a node affinity on the
// node's name for the scheduler to bind, as Kubernetes 1.32 does. A deleted or failed daemon pod
// is replaced (a failed one is deleted first, with back-off); extra pods on a node and pods on
// nodes that should not run one are deleted. A new template rolls out as the update strategy
// says: RollingUpdate replaces old pods node by node within maxUnavailable (or surges within
// maxSurge), OnDelete only when a pod is deleted. Status: desired, current, misscheduled,
// ready, available, updated and unavailable counts; `kubectl rollout status` reads them.
import { resourcePath, PODS } from '@chaosplane/kube';
import { claimObjects } from './claimObjects.js';
import type { ControllerContext, ControllerEvents } from './controllerContext.js';
import { createControllerLoop, type ControllerLoop, type SyncResult } from './controllerLoop.js';
import { daemonPodTemplate, isPodUpdated, shouldRunOn } from './daemonPods.js';
import { CONTROLLER_REVISIONS, DAEMON_SETS, cleanupHistory, constructHistory } from './daemonSetHistory.js';
import { rollingUpdate } from './daemonSetUpdate.js';
import { createExpectations, type Expectations } from './expectations.js';
import { selectorMatches, selectsEverything } from './labelSelector.js';
import { targetNodeName } from './nodePlacement.js';
import {
  byCreation,
  controllerOf,
  controllerRef,
  objectKey,
  type ControllerRevision,
  type DaemonSet,
  type Node,
  type Pod,
} from './objects.js';
import { createPod, deletePod } from './podControl.js';
import { isPodAvailable, isPodReady, isPodTerminal } from './podState.js';
import { slowStart, withoutZeros } from './replicaSetController.js';
import { canonicalJson } from './podTemplateHash.js';

export { DAEMON_SETS };

/** Most pods created or deleted in one sync (kube-controller-manager's burstReplicas for DaemonSets). */
const BURST_REPLICAS = 250;
/** First back-off after a failed daemon pod on a node, doubling to {@link FAILED_BACKOFF_MAX_MS}. */
const FAILED_BACKOFF_MS = 1_000;
const FAILED_BACKOFF_MAX_MS = 15 * 60_000;

/** What the syncs of the controller share. */
export interface DaemonSetSync {
  ctx: ControllerContext;
  events: ControllerEvents;
  expectations: Expectations;
  /** `dsKey/node` → when the next failed pod there may be deleted, and the current delay. */
  failedBackoff: Map<string, { until: number; delayMs: number }>;
  loop: { enqueueAfter(key: string, ms: number): void };
  signal: AbortSignal;
}

/** Starts the DaemonSet controller's watches; `run` drives it. */
export function createDaemonSetController(ctx: ControllerContext): ControllerLoop {
  const daemonSets = ctx.informers.get<DaemonSet>(resourcePath(DAEMON_SETS));
  const pods = ctx.informers.get<Pod>(resourcePath(PODS));
  const nodes = ctx.informers.get<Node>(resourcePath({ group: '', version: 'v1', plural: 'nodes' }));
  const revisions = ctx.informers.get<ControllerRevision>(resourcePath(CONTROLLER_REVISIONS));
  const expectations = createExpectations();
  const events = ctx.events('daemonset-controller');
  const failedBackoff = new Map<string, { until: number; delayMs: number }>();
  const shared: Omit<DaemonSetSync, 'signal'> = {
    ctx,
    events,
    expectations,
    failedBackoff,
    loop: { enqueueAfter: (key, ms) => loop.enqueueAfter(key, ms) },
  };
  const loop = createControllerLoop({
    name: 'daemonset',
    log: ctx.log,
    sync: (key, signal) => syncDaemonSet({ ...shared, signal }, key),
  });
  const enqueueAll = () => daemonSets.store.list().forEach(ds => loop.enqueue(objectKey(ds)));
  daemonSets.subscribe((ds, previous) => loop.enqueue(objectKey((ds ?? previous)!)));
  nodes.subscribe(enqueueAll);
  revisions.subscribe((r, previous) => {
    const ref = controllerOf((r ?? previous)!);
    if (ref?.kind === 'DaemonSet') loop.enqueue(`${(r ?? previous)!.metadata.namespace}/${ref.name}`);
  });
  pods.subscribe((pod, previous) => {
    for (const key of daemonSetsOf(daemonSets.store.list(), pod, previous)) {
      if (pod && !previous) expectations.creationObserved(key);
      if (previous && (!pod || (pod.metadata.deletionTimestamp && !previous.metadata.deletionTimestamp)))
        expectations.deletionObserved(key, objectKey(previous));
      loop.enqueue(key);
    }
  });
  return loop;
}

/** The DaemonSets a pod change concerns: its controller's, or those that may adopt it. */
function daemonSetsOf(daemonSets: DaemonSet[], pod: Pod | undefined, previous: Pod | undefined): Set<string> {
  const keys = new Set<string>();
  for (const p of [pod, previous]) {
    if (!p) continue;
    const ref = controllerOf(p);
    if (ref?.kind === 'DaemonSet') keys.add(`${p.metadata.namespace}/${ref.name}`);
    else if (!ref)
      for (const ds of daemonSets)
        if (
          ds.metadata.namespace === p.metadata.namespace &&
          selectorMatches(ds.spec?.selector, p.metadata.labels)
        )
          keys.add(objectKey(ds));
  }
  return keys;
}

/** The DaemonSet as the object Events are about. */
export function eventTarget(ds: DaemonSet) {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata };
}

/** The DaemonSet's pods (claimed) by the node they are for (getNodesToDaemonPods). */
export async function podsByNode(sync: DaemonSetSync, ds: DaemonSet): Promise<Map<string, Pod[]>> {
  const { ctx, signal } = sync;
  const pods = await claimObjects<Pod>(ctx, ds, {
    ownerApiVersion: 'apps/v1',
    ownerKind: 'DaemonSet',
    resource: PODS,
    signal,
  });
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod.spec) ?? '';
    byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  return byNode;
}

/** Syncs one DaemonSet. */
async function syncDaemonSet(sync: DaemonSetSync, key: string): Promise<SyncResult> {
  const { ctx, expectations, signal } = sync;
  const ds = ctx.informers.get<DaemonSet>(resourcePath(DAEMON_SETS)).store.get(key);
  if (!ds) {
    expectations.forget(key);
    return;
  }
  if (selectsEverything(ds.spec?.selector)) {
    sync.events.emit(
      eventTarget(ds),
      'Warning',
      'SelectingAll',
      'This daemon set is selecting all pods. A non-empty selector is required.',
    );
    return;
  }
  const nodes = ctx.informers
    .get<Node>(resourcePath({ group: '', version: 'v1', plural: 'nodes' }))
    .store.list();
  if (ds.metadata.deletionTimestamp) return writeStatus(sync, ds, nodes, '', false);
  const history = await constructHistory(ctx, ds, signal);
  if (!expectations.satisfied(key)) return writeStatus(sync, ds, nodes, history.hash, false);
  await manage(sync, ds, nodes, history.hash);
  if (expectations.satisfied(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate')
    await rollingUpdate(sync, ds, nodes, history.hash);
  const pods = [...(await podsByNode(sync, ds)).values()].flat();
  await cleanupHistory(ctx, ds, history.old, pods, signal);
  return writeStatus(sync, ds, nodes, history.hash, true);
}

/**
 * Creates the pods nodes lack and deletes those that should not be there (manage and
 * podsShouldBeOnNode), including pods meant for nodes that no longer exist.
 */
async function manage(sync: DaemonSetSync, ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
  const byNode = await podsByNode(sync, ds);
  const needing: string[] = [];
  const toDelete: Pod[] = [];
  for (const node of nodes) {
    const decision = podsForNode(sync, ds, node, byNode.get(node.metadata.name) ?? []);
    if (decision.create) needing.push(node.metadata.name);
    toDelete.push(...decision.delete);
  }
  const known = new Set(nodes.map(n => n.metadata.name));
  for (const [nodeName, pods] of byNode)
    if (!known.has(nodeName) && nodeName !== '')
      toDelete.push(...pods.filter(p => !p.spec?.nodeName && !p.metadata.deletionTimestamp));
  await syncNodes(sync, ds, toDelete, needing, hash);
}

/** What a node needs: a new pod, and which of its pods to delete. */
function podsForNode(
  sync: DaemonSetSync,
  ds: DaemonSet,
  node: Node,
  pods: Pod[],
): { create: boolean; delete: Pod[] } {
  const { run, stay } = shouldRunOn(ds, node);
  if (run && pods.length === 0) return { create: true, delete: [] };
  const live = pods.filter(p => !p.metadata.deletionTimestamp);
  if (!stay) return { create: false, delete: live };
  const failed = live.filter(isPodTerminal);
  const running = live.filter(p => !isPodTerminal(p));
  const toDelete = failed.filter(pod => failedPodMayGo(sync, ds, node, pod));
  // Without surge, one pod per node: the oldest stays.
  if (!allowsSurge(ds)) toDelete.push(...running.sort(byCreation).slice(1));
  return { create: false, delete: toDelete };
}

/** True when the update strategy lets a node run a second pod during a rollout (AllowsSurge). */
function allowsSurge(ds: DaemonSet): boolean {
  const surge = ds.spec?.updateStrategy?.rollingUpdate?.maxSurge;
  return surge !== undefined && surge !== 0 && surge !== '0%' && surge !== '0';
}

/**
 * True when a failed daemon pod may be deleted now (so the manage loop replaces it); false
 * during its node's back-off, which requeues the DaemonSet for when it ends.
 */
function failedPodMayGo(sync: DaemonSetSync, ds: DaemonSet, node: Node, pod: Pod): boolean {
  const key = `${objectKey(ds)}/${node.metadata.name}`;
  const now = Date.now();
  const backoff = sync.failedBackoff.get(key);
  if (backoff && now < backoff.until) {
    sync.loop.enqueueAfter(objectKey(ds), backoff.until - now);
    return false;
  }
  const delayMs = backoff ? Math.min(backoff.delayMs * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_MS;
  sync.failedBackoff.set(key, { until: now + delayMs, delayMs });
  sync.events.emit(
    eventTarget(ds),
    'Warning',
    'FailedDaemonPod',
    `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${node.metadata.name}, will try to kill it`,
  );
  return true;
}

/** Creates a pod for each node of `nodeNames` and deletes `toDelete` (syncNodes). */
export async function syncNodes(
  sync: DaemonSetSync,
  ds: DaemonSet,
  toDelete: Pod[],
  nodeNames: string[],
  hash: string,
): Promise<void> {
  const { ctx, events, expectations, signal } = sync;
  const key = objectKey(ds);
  const creates = nodeNames.slice(0, BURST_REPLICAS);
  const deletes = toDelete.slice(0, BURST_REPLICAS);
  if (creates.length === 0 && deletes.length === 0) return;
  expectations.expect(key, creates.length, deletes.map(objectKey));
  const owner = eventTarget(ds);
  const ownerRef = controllerRef(ds, 'apps/v1', 'DaemonSet');
  let next = 0;
  const failed = await slowStart(creates.length, () =>
    createPod(
      ctx.kube,
      events,
      {
        namespace: ds.metadata.namespace!,
        template: daemonPodTemplate(ds, hash, creates[next++]!),
        owner,
        ownerRef,
      },
      signal,
    ),
  );
  for (let i = 0; i < failed.skipped; i++) expectations.creationObserved(key);
  await Promise.all(
    deletes.map(pod =>
      deletePod(ctx.kube, events, owner, pod, signal).catch(() =>
        expectations.deletionObserved(key, objectKey(pod)),
      ),
    ),
  );
}

/** The counts of a DaemonSet's status over `nodes` (the loop of updateDaemonSetStatus). */
function countPods(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, hash: string) {
  const now = Date.now();
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const counts = { desired: 0, current: 0, misscheduled: 0, ready: 0, available: 0, updated: 0 };
  for (const node of nodes) {
    const pods = (byNode.get(node.metadata.name) ?? []).filter(p => !p.metadata.deletionTimestamp);
    if (!shouldRunOn(ds, node).run) {
      counts.misscheduled += pods.length > 0 ? 1 : 0;
      continue;
    }
    counts.desired += 1;
    // The oldest pod of the node is the one that counts.
    const pod = [...pods].sort(byCreation)[0];
    if (!pod) continue;
    counts.current += 1;
    counts.ready += isPodReady(pod) ? 1 : 0;
    counts.available += isPodAvailable(pod, minReady, now) ? 1 : 0;
    counts.updated += isPodUpdated(pod, hash) ? 1 : 0;
  }
  return counts;
}

/** Writes the DaemonSet's status (updateDaemonSetStatus); observedGeneration only when it acted. */
async function writeStatus(
  sync: DaemonSetSync,
  ds: DaemonSet,
  nodes: Node[],
  hash: string,
  observed: boolean,
): Promise<SyncResult> {
  const counts = countPods(ds, nodes, await podsByNode(sync, ds), hash);
  // As the API serves it: the four counts without omitempty always, the others when set.
  const status = withoutZeros(
    {
      ...ds.status,
      currentNumberScheduled: counts.current,
      numberMisscheduled: counts.misscheduled,
      desiredNumberScheduled: counts.desired,
      numberReady: counts.ready,
      updatedNumberScheduled: counts.updated,
      numberAvailable: counts.available,
      numberUnavailable: counts.desired - counts.available,
      observedGeneration: observed ? (ds.metadata.generation ?? 0) : (ds.status?.observedGeneration ?? 0),
    },
    ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
  );
  if (canonicalJson(status) !== canonicalJson(ds.status ?? {})) {
    const path = `${resourcePath(DAEMON_SETS, ds.metadata.namespace, ds.metadata.name)}/status`;
    await sync.ctx.kube.request('PUT', path, { body: { ...ds, status }, signal: sync.signal });
  }
  const minReady = ds.spec?.minReadySeconds ?? 0;
  if (minReady > 0 && counts.ready !== counts.available) return { requeueAfterMs: minReady * 1000 };
  return undefined;
}
