// SPDX-License-Identifier: Apache-2.0
// The Kubernetes object shapes a plugin reads, as plain JSON (what the API server sends). Only
// the fields Chaosplane and its plugins use are named; everything else passes through.
import type { ChaosStatus } from './status.js';

/** `metadata` of any Kubernetes object; timestamps are RFC 3339 strings, as on the wire. */
export interface ObjectMeta {
  /** The object's name, unique in its namespace. */
  name?: string;
  /** Its namespace; absent for cluster-scoped objects. */
  namespace?: string;
  /** The server-assigned id of this incarnation: a re-created object of the same name has another. */
  uid?: string;
  /** The version optimistic concurrency compares: a write with a stale one gets 409 Conflict. */
  resourceVersion?: string;
  /** Bumped by the server on every spec change. */
  generation?: number;
  /** When the object was created. */
  creationTimestamp?: string;
  /** Set once the object is being deleted (finalizers still hold it). */
  deletionTimestamp?: string;
  /** Labels, selected on by label selectors. */
  labels?: Record<string, string>;
  /** Annotations (Chaos Mesh's pause annotation, for one). */
  annotations?: Record<string, string>;
  /** Finalizers that hold a deletion until they are removed. */
  finalizers?: string[];
  /** The objects this one belongs to (garbage collection). */
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
  /** Any other metadata field, passed through. */
  [field: string]: unknown;
}

/** A chaos custom resource as read from the API server. */
export interface ChaosObject<Spec = unknown, Status extends ChaosStatus = ChaosStatus> {
  /** `group/version`, `chaos-mesh.org/v1alpha1` by default. */
  apiVersion: string;
  /** The kind (`PodChaos`). */
  kind: string;
  /** Name, namespace, uid and the rest. */
  metadata: ObjectMeta;
  /** The spec the kind's schema describes; it cannot change after creation. */
  spec: Spec;
  /** Where the experiment is: conditions, desired phase, records. */
  status?: Status;
}

/** A pod as the API server returns it (core/v1 Pod), with the fields plugins commonly read. */
export interface Pod {
  /** `v1`. */
  apiVersion?: string;
  /** `Pod`. */
  kind?: string;
  /** Name, namespace, uid, labels and the rest. */
  metadata: ObjectMeta;
  /** What should run: the node, the containers and init containers. */
  spec?: {
    nodeName?: string;
    /** True when the pod uses the node's network namespace. */
    hostNetwork?: boolean;
    containers: {
      name: string;
      image?: string;
      [field: string]: unknown;
    }[];
    initContainers?: {
      name: string;
      image?: string;
      [field: string]: unknown;
    }[];
    [field: string]: unknown;
  };
  /** What runs: the phase, the node's and the pod's IPs, and each container's state and id. */
  status?: {
    phase?: string;
    hostIP?: string;
    podIP?: string;
    containerStatuses?: {
      name: string;
      /** The runtime-prefixed id (`containerd://…`) once the container has started. */
      containerID?: string;
      image?: string;
      ready?: boolean;
      restartCount?: number;
      /** Exactly one of running, waiting or terminated. */
      state?: {
        running?: { [field: string]: unknown };
        waiting?: { reason?: string; message?: string; [field: string]: unknown };
        terminated?: { exitCode?: number; reason?: string; [field: string]: unknown };
      };
      [field: string]: unknown;
    }[];
    initContainerStatuses?: {
      name: string;
      /** The runtime-prefixed id (`containerd://…`) once the container has started. */
      containerID?: string;
      image?: string;
      ready?: boolean;
      restartCount?: number;
      [field: string]: unknown;
    }[];
    [field: string]: unknown;
  };
}
