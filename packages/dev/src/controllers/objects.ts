// SPDX-License-Identifier: Apache-2.0
// The objects the dev controllers read and write, in their JSON shape (kubernetes-models' types:
// timestamps are strings, as on the wire), each with the metadata an API server always returns.
import type { IControllerRevision } from 'kubernetes-models/apps/v1/ControllerRevision';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import type { IOwnerReference } from '@kubernetes-models/apimachinery/apis/meta/v1/OwnerReference';

/** Metadata as read back from the API server: name, uid and resourceVersion are always there. */
export type StoredMeta = IObjectMeta & { name: string; uid: string; resourceVersion: string };

/** An object as read back from the API server. */
export type Stored<T extends { metadata?: IObjectMeta }> = Omit<T, 'metadata'> & { metadata: StoredMeta };

export type Deployment = Stored<IDeployment>;
export type ReplicaSet = Stored<IReplicaSet>;
export type DaemonSet = Stored<IDaemonSet>;
export type ControllerRevision = Stored<IControllerRevision>;
export type Pod = Stored<IPod>;
export type Node = Stored<INode>;
export type Service = Stored<IService>;
export type EndpointSlice = Stored<IEndpointSlice>;
export type PodTemplateSpec = IPodTemplateSpec;
export type OwnerReference = IOwnerReference;

/** A namespaced object's `namespace/name` key (the informers' and work queues' key). */
export function objectKey(obj: { metadata: StoredMeta }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** Splits a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The owner reference with `controller: true`, if any. */
export function controllerOf(obj: { metadata: IObjectMeta }): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find(ref => ref.controller === true);
}

/** The owner reference a controller puts on what it creates (NewControllerRef). */
export function controllerRef(
  owner: { metadata: StoredMeta },
  apiVersion: string,
  kind: string,
): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Creation order, then name: Kubernetes' ...ByCreationTimestamp sorts. */
export function byCreation(a: { metadata: StoredMeta }, b: { metadata: StoredMeta }): number {
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return at < bt ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
