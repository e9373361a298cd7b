// SPDX-License-Identifier: Apache-2.0
// The ReplicaSet controller (kube-controller-manager's replicaset-controller): keeps
// spec.replicas active pods of the ReplicaSet's template. A pod deleted or ended (Failed,
// Succeeded) is replaced; extra pods are deleted, least useful first (unscheduled, pending, not
// ready, newest); orphan pods its selector matches are adopted and owned ones it no longer
// matches released. Status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
// (ready for minReadySeconds), observedGeneration, and the ReplicaFailure condition when pods
// cannot be created.
import { resourcePath, PODS } from '@chaosplane/kube';
import { claimObjects } from './claimObjects.js';
import type { ControllerContext, ControllerEvents } from './controllerContext.js';
import { createControllerLoop, type ControllerLoop, type SyncResult } from './controllerLoop.js';
import { createExpectations, type Expectations } from './expectations.js';
import { selectorMatches, selectsEverything } from './labelSelector.js';
import { controllerOf, controllerRef, objectKey, type Pod, type ReplicaSet } from './objects.js';
import { createPod, deletePod } from './podControl.js';
import { canonicalJson } from './podTemplateHash.js';
import { deletionOrder, isPodActive, isPodAvailable, isPodReady, untilAvailableMs } from './podState.js';

/** The collection the controller watches. */
export const REPLICA_SETS = { group: 'apps', version: 'v1', plural: 'replicasets' };

/** Most pods created or deleted in one sync (kube-controller-manager's burstReplicas). */
const BURST_REPLICAS = 500;

/** What one sync works with. */
interface ReplicaSetSync {
  ctx: ControllerContext;
  events: ControllerEvents;
  expectations: Expectations;
  signal: AbortSignal;
}

/** Starts the ReplicaSet controller's watches; `run` drives it. */
export function createReplicaSetController(ctx: ControllerContext): ControllerLoop {
  const replicaSets = ctx.informers.get<ReplicaSet>(resourcePath(REPLICA_SETS));
  const pods = ctx.informers.get<Pod>(resourcePath(PODS));
  const expectations = createExpectations();
  const events = ctx.events('replicaset-controller');
  const loop = createControllerLoop({
    name: 'replicaset',
    log: ctx.log,
    sync: (key, signal) => syncReplicaSet({ ctx, events, expectations, signal }, key),
  });
  replicaSets.subscribe((rs, previous) => loop.enqueue(objectKey((rs ?? previous)!)));
  pods.subscribe((pod, previous) => {
    for (const key of ownersToSync(ctx, pod, previous)) {
      // The creation or deletion a sync is waiting to see.
      if (pod && !previous) expectations.creationObserved(key);
      if (previous && (!pod || (pod.metadata.deletionTimestamp && !previous.metadata.deletionTimestamp)))
        expectations.deletionObserved(key, objectKey(previous));
      loop.enqueue(key);
    }
  });
  return loop;
}

/**
 * The ReplicaSets a pod change concerns: the controller of the pod (before and after), or, for
 * an orphan, every ReplicaSet of its namespace whose selector matches it (it may be adopted).
 */
function ownersToSync(ctx: ControllerContext, pod: Pod | undefined, previous: Pod | undefined): Set<string> {
  const keys = new Set<string>();
  for (const p of [pod, previous]) {
    if (!p) continue;
    const ref = controllerOf(p);
    if (ref?.kind === 'ReplicaSet') keys.add(`${p.metadata.namespace}/${ref.name}`);
    else if (!ref) {
      const store = ctx.informers.get<ReplicaSet>(resourcePath(REPLICA_SETS)).store;
      for (const rs of store.list())
        if (
          rs.metadata.namespace === p.metadata.namespace &&
          selectorMatches(rs.spec?.selector, p.metadata.labels)
        )
          keys.add(objectKey(rs));
    }
  }
  return keys;
}

/** Syncs one ReplicaSet: claims its pods, creates or deletes to match spec.replicas, writes status. */
async function syncReplicaSet(sync: ReplicaSetSync, key: string): Promise<SyncResult> {
  const { ctx, expectations, signal } = sync;
  const rs = ctx.informers.get<ReplicaSet>(resourcePath(REPLICA_SETS)).store.get(key);
  if (!rs) {
    expectations.forget(key);
    return;
  }
  const selector = rs.spec?.selector;
  if (selectsEverything(selector)) {
    ctx.log.warn('replica set selects every pod; ignoring it', { replicaSet: key });
    return;
  }
  const pods = await claimObjects<Pod>(ctx, rs, {
    ownerApiVersion: 'apps/v1',
    ownerKind: 'ReplicaSet',
    resource: PODS,
    candidate: isPodActive,
    signal,
  });
  let failure: string | undefined;
  if (expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
    failure = await manageReplicas(sync, rs, pods);
  }
  return writeStatus(sync, rs, pods, failure);
}

/** The ReplicaSet as the object Events are about. */
function eventTarget(rs: ReplicaSet) {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: rs.metadata };
}

/**
 * Creates or deletes pods until there are spec.replicas, at most {@link BURST_REPLICAS} a sync;
 * creations go in slow-start batches (1, 2, 4…) so a template that cannot run fails once, not
 * 500 times. Returns the creation error, if any, for the ReplicaFailure condition.
 */
async function manageReplicas(
  sync: ReplicaSetSync,
  rs: ReplicaSet,
  pods: Pod[],
): Promise<string | undefined> {
  const { ctx, events, expectations, signal } = sync;
  const key = objectKey(rs);
  const diff = pods.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) {
    const count = Math.min(-diff, BURST_REPLICAS);
    expectations.expect(key, count, []);
    const template = rs.spec?.template ?? {};
    const input = {
      namespace: rs.metadata.namespace!,
      template,
      owner: eventTarget(rs),
      ownerRef: controllerRef(rs, 'apps/v1', 'ReplicaSet'),
    };
    const failed = await slowStart(count, () => createPod(ctx.kube, events, input, signal));
    for (let i = 0; i < failed.skipped; i++) expectations.creationObserved(key);
    return failed.error;
  }
  if (diff > 0) {
    const victims = [...pods].sort(deletionOrder).slice(0, Math.min(diff, BURST_REPLICAS));
    expectations.expect(key, 0, victims.map(objectKey));
    await Promise.all(
      victims.map(pod =>
        deletePod(ctx.kube, events, eventTarget(rs), pod, signal).catch(() =>
          expectations.deletionObserved(key, objectKey(pod)),
        ),
      ),
    );
  }
  return undefined;
}

/**
 * Runs `count` calls in batches of 1, 2, 4… (controller.slowStartBatch), stopping after the
 * first batch with a failure. Returns how many calls never happened or failed, and the error.
 */
export async function slowStart(
  count: number,
  call: () => Promise<unknown>,
): Promise<{ skipped: number; error?: string }> {
  let done = 0;
  for (let batch = 1; done < count; batch *= 2) {
    const size = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: size }, call));
    done += size;
    const failures = results.filter(r => r.status === 'rejected');
    if (failures.length > 0) {
      const reason = (failures[0] as PromiseRejectedResult).reason as Error;
      return { skipped: count - done + failures.length, error: reason.message };
    }
  }
  return { skipped: 0 };
}

/** Writes the status the pods give (and requeues for pods that become available later). */
async function writeStatus(
  sync: ReplicaSetSync,
  rs: ReplicaSet,
  pods: Pod[],
  failure: string | undefined,
): Promise<SyncResult> {
  const now = Date.now();
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  // As the API serves it: replicas always, the other counts and conditions only when set.
  const status = withoutZeros(
    {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter(p =>
        Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter(p => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 0,
      conditions: replicaFailure(rs, failure),
    },
    ['replicas'],
  );
  if (canonicalJson(status) !== canonicalJson(withoutZeros({ ...rs.status }, ['replicas']))) {
    await sync.ctx.kube.request(
      'PUT',
      `${resourcePath(REPLICA_SETS, rs.metadata.namespace, rs.metadata.name)}/status`,
      { body: { ...rs, status }, signal: sync.signal },
    );
  }
  const waits = pods
    .map(p => (isPodAvailable(p, minReady, now) ? undefined : untilAvailableMs(p, minReady, now)))
    .filter((ms): ms is number => ms !== undefined);
  return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) + 50 } : undefined;
}

/** `status` without zero counts and empty lists (omitempty), but the fields in `keep`. */
export function withoutZeros<T extends Record<string, unknown>>(
  status: T,
  keep: readonly string[] = [],
): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (value === 0 && !keep.includes(key)) continue;
    out[key] = value;
  }
  return out as Partial<T>;
}

/** The conditions with ReplicaFailure set while creations fail, dropped once they succeed. */
function replicaFailure(rs: ReplicaSet, failure: string | undefined) {
  const others = (rs.status?.conditions ?? []).filter(c => c.type !== 'ReplicaFailure');
  if (failure === undefined) return others;
  const previous = rs.status?.conditions?.find(c => c.type === 'ReplicaFailure');
  return [
    ...others,
    {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: failure,
      lastTransitionTime: previous?.lastTransitionTime ?? new Date().toISOString(),
    },
  ];
}
