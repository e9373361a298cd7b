// SPDX-License-Identifier: Apache-2.0
// Which objects a controller owns (controller.ControllerRefManager): those whose controller
// reference names it; orphans its selector matches are adopted (while it is not being deleted);
// owned objects its selector no longer matches are released. Both are merge patches of
// ownerReferences guarded by the object's resourceVersion, so a concurrent change wins and the
// next sync decides again.
import { resourcePath, type ResourceType } from '@chaosplane/kube';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import type { ControllerContext } from './controllerContext.js';
import { selectorMatches } from './labelSelector.js';
import { controllerOf, controllerRef, type OwnerReference, type StoredMeta } from './objects.js';

/** An object that can be claimed. */
interface Claimable {
  metadata: StoredMeta;
}

/** A claiming controller's object: a ReplicaSet, a Deployment, a DaemonSet. */
export interface ClaimingOwner {
  metadata: StoredMeta;
  spec?: { selector?: ILabelSelector };
}

/** What is claimed, and by which kind of owner. */
export interface ClaimOptions<T extends Claimable> {
  /** The owner's group/version and kind, for the controller reference. */
  ownerApiVersion: string;
  ownerKind: string;
  /** What is claimed: objects of this resource in the owner's namespace. */
  resource: ResourceType;
  /** Further narrows the candidates (the ReplicaSet claims active pods only). */
  candidate?: (obj: T) => boolean;
  signal: AbortSignal;
}

/**
 * The objects of `options.resource` in the owner's namespace (from the shared informer) the owner
 * controls, after adopting matching orphans and releasing owned ones that no longer match. Failed
 * patches leave the object out (the next sync retries). Adoption stops while the owner is being
 * deleted.
 */
export async function claimObjects<T extends Claimable>(
  ctx: Pick<ControllerContext, 'kube' | 'informers'>,
  owner: ClaimingOwner,
  options: ClaimOptions<T>,
): Promise<T[]> {
  const ownerRef = controllerRef(owner, options.ownerApiVersion, options.ownerKind);
  const selector = owner.spec?.selector;
  const candidates = ctx.informers
    .get<T>(resourcePath(options.resource))
    .store.list()
    .filter(obj => obj.metadata.namespace === owner.metadata.namespace && (options.candidate?.(obj) ?? true));
  const patch = (obj: T, ownerReferences: OwnerReference[]) =>
    patchOwners(ctx, options, obj, ownerReferences).catch(() => undefined);
  const owned: T[] = [];
  await Promise.all(
    candidates.map(async obj => {
      const ref = controllerOf(obj);
      const matches = selectorMatches(selector, obj.metadata.labels);
      if (ref !== undefined) {
        if (ref.uid !== ownerRef.uid) return;
        if (matches) owned.push(obj);
        else await patch(obj, withoutOwner(obj, ownerRef.uid));
        return;
      }
      if (!matches || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) return;
      const adopted = await patch(obj, [...(obj.metadata.ownerReferences ?? []), ownerRef]);
      if (adopted) owned.push(adopted);
    }),
  );
  return owned;
}

/** The object's owner references without `uid`. */
function withoutOwner(obj: Claimable, uid: string): OwnerReference[] {
  return (obj.metadata.ownerReferences ?? []).filter(ref => ref.uid !== uid);
}

/** Replaces the object's ownerReferences, if it is still at the version read. */
function patchOwners<T extends Claimable>(
  ctx: Pick<ControllerContext, 'kube'>,
  options: ClaimOptions<T>,
  obj: T,
  ownerReferences: OwnerReference[],
): Promise<T> {
  const path = resourcePath(options.resource, obj.metadata.namespace, obj.metadata.name);
  return ctx.kube.request<T>('PATCH', path, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { ownerReferences, resourceVersion: obj.metadata.resourceVersion } },
    signal: options.signal,
  });
}
