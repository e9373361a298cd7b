// SPDX-License-Identifier: Apache-2.0
import type { ObjectMeta } from '@chaosplane/sdk';
import type { KubeObject } from '../api/objects.js';

/** The controller reference to `owner` (garbage collection deletes what it owns with it). */
export function controllerReference(owner: KubeObject): NonNullable<ObjectMeta['ownerReferences']>[number] {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `obj` is controlled by `owner` (by uid). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some(ref => ref.controller && ref.uid === owner.metadata.uid);
}
