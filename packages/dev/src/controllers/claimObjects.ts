// SPDX-License-Identifier: Apache-2.0
// Which objects a controller owns (controller.ControllerRefManager): those whose controller
// reference names it; orphans its selector matches are adopted (while it is not being deleted);
// owned objects its selector no longer matches are released. Both are merge patches of
// ownerReferences guarded by the object's resourceVersion, so a concurrent change wins and the
// next sync decides again.
import type { KubeConnection } from '@chaosplane/kube';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { selectorMatches } from './labelSelector.js';
import { controllerOf, type OwnerReference, type StoredMeta } from './objects.js';

/** An object that can be claimed. */
interface Claimable {
  metadata: StoredMeta;
}

/** What a controller claims with. */
export interface ClaimOptions<T extends Claimable> {
  kube: KubeConnection;
  /** The claiming controller's reference (controller: true). */
  ownerRef: OwnerReference;
  /** True while the owner is being deleted: it adopts nothing then. */
  ownerDeleting: boolean;
  selector: ILabelSelector | undefined;
  /** The API path of one candidate (for the patches). */
  pathOf(obj: T): string;
  signal: AbortSignal;
}

/**
 * The candidates `options.ownerRef` controls after adopting matching orphans and releasing
 * owned ones that no longer match. Failed patches leave the object out (the next sync retries).
 */
export async function claimObjects<T extends Claimable>(
  candidates: readonly T[],
  options: ClaimOptions<T>,
): Promise<T[]> {
  const owned: T[] = [];
  await Promise.all(
    candidates.map(async obj => {
      const ref = controllerOf(obj);
      const matches = selectorMatches(options.selector, obj.metadata.labels);
      if (ref !== undefined) {
        if (ref.uid !== options.ownerRef.uid) return;
        if (matches) owned.push(obj);
        else await patchOwners(obj, withoutOwner(obj, options.ownerRef.uid), options).catch(() => undefined);
        return;
      }
      if (!matches || options.ownerDeleting || obj.metadata.deletionTimestamp) return;
      const adopted = await patchOwners(
        obj,
        [...(obj.metadata.ownerReferences ?? []), options.ownerRef],
        options,
      ).catch(() => undefined);
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
  obj: T,
  ownerReferences: OwnerReference[],
  options: ClaimOptions<T>,
): Promise<T> {
  return options.kube.request<T>('PATCH', options.pathOf(obj), {
    contentType: 'application/merge-patch+json',
    body: { metadata: { ownerReferences, resourceVersion: obj.metadata.resourceVersion } },
    signal: options.signal,
  });
}
