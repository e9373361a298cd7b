// SPDX-License-Identifier: Apache-2.0
// The Deployment controller (kube-controller-manager's deployment-controller): a Deployment
// owns one ReplicaSet per pod template it has had, named `<deployment>-<pod-template-hash>`,
// whose selector, template and pods carry that hash as the `pod-template-hash` label. The
// ReplicaSet of the current template is the new one; a rollout scales it up and the old ones
// down, as RollingUpdate (within maxSurge and maxUnavailable) or Recreate (all old pods gone
// first) says. Revisions are annotations (`deployment.kubernetes.io/revision`), so `kubectl
// rollout history|undo` work; a scale (spec.replicas, or the scale subresource) is spread over
// the ReplicaSets in proportion; old ReplicaSets beyond revisionHistoryLimit are deleted; a
// paused Deployment only scales. The status is what `kubectl rollout status` waits on.
import { isConflict, resourcePath } from '@chaosplane/kube';
import { claimObjects } from './claimObjects.js';
import type { ControllerContext, ControllerEvents } from './controllerContext.js';
import { createControllerLoop, type ControllerLoop, type SyncResult } from './controllerLoop.js';
import {
  DESIRED_REPLICAS,
  POD_TEMPLATE_HASH,
  activeOf,
  desiredReplicas,
  equalIgnoreHash,
  newCondition,
  newReplicaSetAnnotations,
  replicasOf,
  revisionOf,
  setCondition,
  hasProgressDeadline,
  REVISION,
} from './deploymentUtil.js';
import {
  newReplicaSetReplicas,
  rolloutRecreate,
  rolloutRolling,
  scaleDeployment,
} from './deploymentRollout.js';
import {
  calculateStatus,
  pausedConditions,
  servedStatus,
  type DeploymentStatus,
} from './deploymentStatus.js';
import { selectorMatches, selectsEverything } from './labelSelector.js';
import { canonicalJson, computeHash } from './podTemplateHash.js';
import {
  byCreation,
  controllerOf,
  controllerRef,
  objectKey,
  type Deployment,
  type Pod,
  type ReplicaSet,
} from './objects.js';
import { REPLICA_SETS } from './replicaSetController.js';
import { PODS } from '@chaosplane/kube';

/** The collection the controller watches. */
export const DEPLOYMENTS = { group: 'apps', version: 'v1', plural: 'deployments' };

/** One sync of one Deployment: what it read, and what it wrote since. */
export interface DeploymentSync {
  ctx: ControllerContext;
  events: ControllerEvents;
  signal: AbortSignal;
  /** The Deployment, replaced by each status write's answer. */
  d: Deployment;
  /** Its ReplicaSets, each replaced by its write's answer. */
  replicaSets: ReplicaSet[];
}

/** Starts the Deployment controller's watches; `run` drives it. */
export function createDeploymentController(ctx: ControllerContext): ControllerLoop {
  const deployments = ctx.informers.get<Deployment>(resourcePath(DEPLOYMENTS));
  const replicaSets = ctx.informers.get<ReplicaSet>(resourcePath(REPLICA_SETS));
  const pods = ctx.informers.get<Pod>(resourcePath(PODS));
  const events = ctx.events('deployment-controller');
  const loop = createControllerLoop({
    name: 'deployment',
    log: ctx.log,
    sync: (key, signal) => syncDeployment(ctx, events, key, signal),
  });
  deployments.subscribe((d, previous) => loop.enqueue(objectKey((d ?? previous)!)));
  replicaSets.subscribe((rs, previous) => {
    for (const key of deploymentsOf(ctx, rs, previous)) loop.enqueue(key);
  });
  // Recreate waits for every old pod to be gone.
  pods.subscribe((pod, previous) => {
    if (pod) return;
    const ref = controllerOf(previous!);
    const rs =
      ref?.kind === 'ReplicaSet'
        ? replicaSets.store.get(`${previous!.metadata.namespace}/${ref.name}`)
        : undefined;
    const owner = rs ? controllerOf(rs) : undefined;
    if (owner?.kind === 'Deployment') loop.enqueue(`${rs!.metadata.namespace}/${owner.name}`);
  });
  return loop;
}

/** The Deployments a ReplicaSet change concerns: its controller's, or those that may adopt it. */
function deploymentsOf(ctx: ControllerContext, rs: ReplicaSet | undefined, previous: ReplicaSet | undefined) {
  const keys = new Set<string>();
  for (const r of [rs, previous]) {
    if (!r) continue;
    const ref = controllerOf(r);
    if (ref?.kind === 'Deployment') keys.add(`${r.metadata.namespace}/${ref.name}`);
    else if (!ref) {
      for (const d of ctx.informers.get<Deployment>(resourcePath(DEPLOYMENTS)).store.list())
        if (
          d.metadata.namespace === r.metadata.namespace &&
          selectorMatches(d.spec?.selector, r.metadata.labels)
        )
          keys.add(objectKey(d));
    }
  }
  return keys;
}

/** Syncs one Deployment. */
async function syncDeployment(
  ctx: ControllerContext,
  events: ControllerEvents,
  key: string,
  signal: AbortSignal,
): Promise<SyncResult> {
  const stored = ctx.informers.get<Deployment>(resourcePath(DEPLOYMENTS)).store.get(key);
  if (!stored) return;
  const d = structuredClone(stored);
  const sync: DeploymentSync = { ctx, events, signal, d, replicaSets: [] };
  if (selectsEverything(d.spec?.selector)) return refuseSelectingAll(sync);
  sync.replicaSets = await claimReplicaSets(sync);
  if (d.metadata.deletionTimestamp) return syncStatusOnly(sync);
  const paused = pausedConditions(d);
  if (paused) await writeStatus(sync, { ...d.status, conditions: paused });
  if (d.spec?.paused === true || isScalingEvent(sync)) return scaleDeployment(sync);
  return d.spec?.strategy?.type === 'Recreate' ? rolloutRecreate(sync) : rolloutRolling(sync);
}

/** A Deployment whose selector selects everything: a Warning, and only observedGeneration. */
async function refuseSelectingAll(sync: DeploymentSync): Promise<SyncResult> {
  const { d } = sync;
  sync.events.emit(
    eventTarget(d),
    'Warning',
    'SelectingAll',
    'This deployment is selecting all pods. A non-empty selector is required.',
  );
  if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0))
    await writeStatus(sync, { ...d.status, observedGeneration: d.metadata.generation ?? 0 });
}

/** The ReplicaSets of the Deployment's namespace it controls, after adoption and release. */
async function claimReplicaSets(sync: DeploymentSync): Promise<ReplicaSet[]> {
  const { ctx, d, signal } = sync;
  const owned = await claimObjects<ReplicaSet>(ctx, d, {
    ownerApiVersion: 'apps/v1',
    ownerKind: 'Deployment',
    resource: REPLICA_SETS,
    signal,
  });
  // Copies: the sync keeps and updates its own list (the informer's store stays as it was read).
  return owned.map(rs => structuredClone(rs));
}

/** The Deployment as the object Events are about. */
export function eventTarget(d: Deployment) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata };
}

/** Writes the counts and Available, nothing else (a Deployment being deleted). */
async function syncStatusOnly(sync: DeploymentSync): Promise<SyncResult> {
  const { newRS, oldRSs } = await replicaSetsAndRevision(sync, false);
  await writeStatusIfChanged(sync, calculateStatus(sync.d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS));
}

/**
 * True when spec.replicas changed since the active ReplicaSets were sized (their
 * desired-replicas annotation differs): a scale, not a rollout (isScalingEvent).
 */
function isScalingEvent(sync: DeploymentSync): boolean {
  const newRS = findNewReplicaSet(sync.d, sync.replicaSets);
  const all = [...sync.replicaSets.filter(rs => rs !== newRS), newRS];
  return activeOf(all).some(rs => {
    const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
    return desired !== undefined && Number(desired) !== desiredReplicas(sync.d);
  });
}

/** The oldest ReplicaSet whose template is the Deployment's (FindNewReplicaSet). */
export function findNewReplicaSet(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...replicaSets].sort(byCreation).find(rs => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/**
 * The new ReplicaSet (created when `create` and missing) and the old ones, with the
 * Deployment's revision annotation synced to the new one's (getAllReplicaSetsAndSyncRevision).
 */
export async function replicaSetsAndRevision(
  sync: DeploymentSync,
  create: boolean,
): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
  const existing = findNewReplicaSet(sync.d, sync.replicaSets);
  const oldRSs = sync.replicaSets.filter(rs => rs !== existing);
  const newRevision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
  if (existing) return { newRS: await syncExistingNewReplicaSet(sync, existing, newRevision), oldRSs };
  if (!create) return { newRS: undefined, oldRSs };
  return { newRS: await createNewReplicaSet(sync, oldRSs, newRevision), oldRSs };
}

/** Brings the new ReplicaSet's annotations and minReadySeconds up to date, and the Deployment's revision. */
async function syncExistingNewReplicaSet(
  sync: DeploymentSync,
  rs: ReplicaSet,
  newRevision: number,
): Promise<ReplicaSet> {
  const { d } = sync;
  const { annotations, changed } = newReplicaSetAnnotations(d, rs.metadata.annotations, newRevision, true);
  const minReady = d.spec?.minReadySeconds ?? 0;
  const current =
    changed || (rs.spec?.minReadySeconds ?? 0) !== minReady
      ? await updateReplicaSet(sync, rs, { annotations, minReadySeconds: minReady })
      : rs;
  const revision = current.metadata.annotations?.[REVISION];
  if (revision !== undefined) await setDeploymentRevision(sync, revision);
  // A Deployment that never had a Progressing condition starts its clock now.
  const conditions = sync.d.status?.conditions ?? [];
  if (hasProgressDeadline(d) && !conditions.some(c => c.type === 'Progressing')) {
    const found = newCondition(
      'Progressing',
      'True',
      'FoundNewReplicaSet',
      `Found new replica set "${current.metadata.name}"`,
    );
    await writeStatus(sync, { ...sync.d.status, conditions: setCondition(conditions, found) });
  }
  return current;
}

/** The ReplicaSet a Deployment's template makes: named and labelled with the template's hash. */
function newReplicaSetDraft(d: Deployment, oldRSs: ReplicaSet[], newRevision: number): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeHash(template, d.status?.collisionCount);
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  template.metadata = { ...template.metadata, labels };
  const selector = d.spec?.selector ?? {};
  const draft = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
      labels,
      annotations: newReplicaSetAnnotations(d, {}, newRevision, false).annotations,
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: { ...selector, matchLabels: { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
      template,
    },
  } as unknown as ReplicaSet;
  draft.spec!.replicas = newReplicaSetReplicas(d, [...oldRSs, draft], draft);
  return draft;
}

/**
 * Creates the ReplicaSet of the Deployment's template; on a name taken by another template (a
 * hash collision) bumps status.collisionCount, so the next sync hashes to another name.
 */
async function createNewReplicaSet(
  sync: DeploymentSync,
  oldRSs: ReplicaSet[],
  newRevision: number,
): Promise<ReplicaSet | undefined> {
  const { d, ctx, signal } = sync;
  const draft = newReplicaSetDraft(d, oldRSs, newRevision);
  let created: ReplicaSet;
  try {
    created = await ctx.kube.request<ReplicaSet>('POST', resourcePath(REPLICA_SETS, d.metadata.namespace), {
      body: draft,
      signal,
    });
  } catch (error) {
    if (isConflict(error)) return adoptOrCollide(sync, draft);
    await failedCreate(sync, draft, error);
    throw error;
  }
  sync.replicaSets.push(created);
  const replicas = replicasOf(created);
  if (replicas > 0) {
    const message = `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`;
    sync.events.emit(eventTarget(d), 'Normal', 'ScalingReplicaSet', message);
  }
  await setDeploymentRevision(sync, String(newRevision));
  if (hasProgressDeadline(d)) {
    const message = `Created new replica set "${created.metadata.name}"`;
    const condition = newCondition('Progressing', 'True', 'NewReplicaSetCreated', message);
    await writeStatus(sync, {
      ...sync.d.status,
      conditions: setCondition(sync.d.status?.conditions ?? [], condition),
    });
  }
  return created;
}

/**
 * The ReplicaSet name was taken: it is ours when it has the same template (an informer that had
 * not caught up); otherwise the hash collided, and collisionCount goes up.
 */
async function adoptOrCollide(sync: DeploymentSync, draft: ReplicaSet): Promise<ReplicaSet | undefined> {
  const { d, ctx, signal } = sync;
  const existing = await ctx.kube.request<ReplicaSet>(
    'GET',
    resourcePath(REPLICA_SETS, d.metadata.namespace, draft.metadata.name),
    { signal },
  );
  if (
    controllerOf(existing)?.uid === d.metadata.uid &&
    equalIgnoreHash(existing.spec?.template, d.spec?.template)
  ) {
    sync.replicaSets.push(existing);
    return existing;
  }
  await writeStatus(sync, { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
  throw new Error(
    `replica set ${draft.metadata.name} exists with another pod template; collision count raised`,
  );
}

/** Records a failed creation: Event ReplicaSetCreateError and Progressing False. */
async function failedCreate(sync: DeploymentSync, draft: ReplicaSet, error: unknown): Promise<void> {
  const message = `Failed to create new replica set "${draft.metadata.name}": ${(error as Error).message}`;
  sync.events.emit(eventTarget(sync.d), 'Warning', 'ReplicaSetCreateError', message);
  await writeStatus(sync, {
    ...sync.d.status,
    conditions: setCondition(
      sync.d.status?.conditions ?? [],
      newCondition('Progressing', 'False', 'ReplicaSetCreateError', message),
    ),
  }).catch(() => undefined);
}

/** Sets the Deployment's revision annotation (a metadata update, as SetDeploymentRevision). */
async function setDeploymentRevision(sync: DeploymentSync, revision: string): Promise<void> {
  const { d, ctx, signal } = sync;
  if (d.metadata.annotations?.[REVISION] === revision) return;
  sync.d = await ctx.kube.request<Deployment>(
    'PATCH',
    resourcePath(DEPLOYMENTS, d.metadata.namespace, d.metadata.name),
    {
      contentType: 'application/merge-patch+json',
      body: {
        metadata: { annotations: { [REVISION]: revision }, resourceVersion: d.metadata.resourceVersion },
      },
      signal,
    },
  );
}

/** Replaces a ReplicaSet with `changes` applied; the sync's list gets the answer. */
export async function updateReplicaSet(
  sync: DeploymentSync,
  rs: ReplicaSet,
  changes: { replicas?: number; annotations?: Record<string, string>; minReadySeconds?: number },
): Promise<ReplicaSet> {
  const next = structuredClone(rs);
  if (changes.annotations) next.metadata.annotations = changes.annotations;
  next.spec = {
    ...next.spec!,
    ...(changes.replicas !== undefined ? { replicas: changes.replicas } : {}),
    ...(changes.minReadySeconds !== undefined ? { minReadySeconds: changes.minReadySeconds } : {}),
  };
  const updated = await sync.ctx.kube.request<ReplicaSet>(
    'PUT',
    resourcePath(REPLICA_SETS, rs.metadata.namespace, rs.metadata.name),
    { body: next, signal: sync.signal },
  );
  sync.replicaSets = sync.replicaSets.map(r => (r.metadata.uid === updated.metadata.uid ? updated : r));
  return updated;
}

/** Writes the Deployment's status; the sync continues from the answer. */
export async function writeStatus(sync: DeploymentSync, status: DeploymentStatus): Promise<void> {
  const { d } = sync;
  sync.d = await sync.ctx.kube.request<Deployment>(
    'PUT',
    `${resourcePath(DEPLOYMENTS, d.metadata.namespace, d.metadata.name)}/status`,
    { body: { ...d, status: servedStatus(status) }, signal: sync.signal },
  );
}

/** Writes `status` unless the Deployment already has it. */
export async function writeStatusIfChanged(sync: DeploymentSync, status: DeploymentStatus): Promise<boolean> {
  if (canonicalJson(servedStatus(status)) === canonicalJson(servedStatus({ ...sync.d.status }))) return false;
  await writeStatus(sync, status);
  return true;
}
