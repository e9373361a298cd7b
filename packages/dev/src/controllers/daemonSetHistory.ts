// SPDX-License-Identifier: Apache-2.0
// A DaemonSet's history (k8s.io/kubernetes pkg/controller/daemon/update.go): one
// ControllerRevision per pod template it has had, named `<daemonset>-<hash>`, labelled
// `controller-revision-hash`, holding the patch that restores that template (what `kubectl
// rollout undo daemonset` applies) and a revision number. The current template's revision is
// created when missing (a hash collision bumps status.collisionCount), brought to the highest
// number when an old template comes back, and old revisions beyond revisionHistoryLimit that no
// pod uses are deleted.
import { isConflict, resourcePath } from '@chaosplane/kube';
import { claimObjects } from './claimObjects.js';
import type { ControllerContext } from './controllerContext.js';
import { canonicalJson, computeHash } from './podTemplateHash.js';
import { controllerRef, type ControllerRevision, type DaemonSet, type Pod } from './objects.js';

/** The collection of revisions. */
export const CONTROLLER_REVISIONS = { group: 'apps', version: 'v1', plural: 'controllerrevisions' };
/** The label naming a pod's (and a revision's) template. */
export const REVISION_HASH = 'controller-revision-hash';

/** The patch a revision holds: the DaemonSet's template, replacing the whole template (getPatch). */
export function revisionData(ds: DaemonSet): object {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

/** A DaemonSet's revisions: the current template's, the others, and the current hash. */
export interface DaemonSetHistory {
  current: ControllerRevision;
  old: ControllerRevision[];
  hash: string;
}

/** Reads (and creates, adopts or renumbers) the DaemonSet's revisions (constructHistory). */
export async function constructHistory(
  ctx: ControllerContext,
  ds: DaemonSet,
  signal: AbortSignal,
): Promise<DaemonSetHistory> {
  const revisions = await claimObjects<ControllerRevision>(ctx, ds, {
    ownerApiVersion: 'apps/v1',
    ownerKind: 'DaemonSet',
    resource: CONTROLLER_REVISIONS,
    signal,
  });
  const wanted = canonicalJson(revisionData(ds));
  const matching = revisions
    .filter(r => canonicalJson(r.data) === wanted)
    .sort((a, b) => b.revision - a.revision);
  const old = revisions.filter(r => !matching.includes(r));
  const next = Math.max(0, ...old.map(r => r.revision)) + 1;
  let current = matching[0];
  // Duplicates of the current template (a race of two syncs): the newest stays.
  for (const duplicate of matching.slice(1)) await deleteRevision(ctx, duplicate, signal);
  if (current === undefined) current = await createRevision(ctx, ds, next, signal);
  else if (current.revision < next) {
    current = await ctx.kube.request<ControllerRevision>(
      'PUT',
      resourcePath(CONTROLLER_REVISIONS, ds.metadata.namespace, current.metadata.name),
      { body: { ...current, revision: next }, signal },
    );
  }
  return { current, old, hash: current.metadata.labels?.[REVISION_HASH] ?? '' };
}

/** Creates the revision of the DaemonSet's template; a name taken by another template is a collision. */
async function createRevision(
  ctx: ControllerContext,
  ds: DaemonSet,
  revision: number,
  signal: AbortSignal,
): Promise<ControllerRevision> {
  const namespace = ds.metadata.namespace!;
  const hash = computeHash(ds.spec?.template ?? {}, ds.status?.collisionCount);
  const name = `${ds.metadata.name}-${hash}`;
  const body = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data: revisionData(ds),
    revision,
  };
  try {
    return await ctx.kube.request<ControllerRevision>('POST', resourcePath(CONTROLLER_REVISIONS, namespace), {
      body,
      signal,
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
    const existing = await ctx.kube.request<ControllerRevision>(
      'GET',
      resourcePath(CONTROLLER_REVISIONS, namespace, name),
      { signal },
    );
    if (canonicalJson(existing.data) === canonicalJson(body.data)) return existing;
    await ctx.kube.request('PUT', `${resourcePath(DAEMON_SETS, namespace, ds.metadata.name)}/status`, {
      body: { ...ds, status: { ...ds.status, collisionCount: (ds.status?.collisionCount ?? 0) + 1 } },
      signal,
    });
    throw new Error(`controller revision ${name} exists with another template; collision count raised`);
  }
}

/** The DaemonSets collection (here too, for the collision write). */
export const DAEMON_SETS = { group: 'apps', version: 'v1', plural: 'daemonsets' };

/** Deletes a revision; one already gone is fine. */
async function deleteRevision(
  ctx: ControllerContext,
  r: ControllerRevision,
  signal: AbortSignal,
): Promise<void> {
  await ctx.kube
    .request('DELETE', resourcePath(CONTROLLER_REVISIONS, r.metadata.namespace, r.metadata.name), { signal })
    .catch(() => undefined);
}

/** Deletes the oldest revisions beyond revisionHistoryLimit that no live pod runs (cleanupHistory). */
export async function cleanupHistory(
  ctx: ControllerContext,
  ds: DaemonSet,
  old: ControllerRevision[],
  pods: readonly Pod[],
  signal: AbortSignal,
): Promise<void> {
  let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const live = new Set(pods.map(p => p.metadata.labels?.[REVISION_HASH]).filter(Boolean));
  for (const r of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (live.has(r.metadata.labels?.[REVISION_HASH])) continue;
    await deleteRevision(ctx, r, signal);
    toKill -= 1;
  }
}
