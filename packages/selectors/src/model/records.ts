// SPDX-License-Identifier: Apache-2.0
// Compact projections of the Kubernetes objects selection reads. The cache keeps these instead
// of whole objects (a fraction of the memory), and the direct-LIST path converts to the same
// shape, so every matcher runs on one representation whatever the source.

/** The pod fields selection reads. Missing string fields are `''`, as the API server's field sets. */
export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  /** `metadata.uid`: which pod of that name was selected. */
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** `spec.nodeName` */
  readonly nodeName: string;
  /** `spec.restartPolicy` */
  readonly restartPolicy: string;
  /** `spec.schedulerName` */
  readonly schedulerName: string;
  /** `spec.serviceAccountName` */
  readonly serviceAccountName: string;
  /** `status.phase` */
  readonly phase: string;
  /** `status.podIP` */
  readonly podIP: string;
  /** `status.nominatedNodeName` */
  readonly nominatedNodeName: string;
  /** True when `metadata.deletionTimestamp` is set. */
  readonly terminating: boolean;
  /** `spec.containers[].name`, in order. */
  readonly containers: readonly string[];
  /**
   * `status.containerStatuses[].containerID` of each of {@link containers}, in the same order;
   * `''` for a container that has none yet. An array, not a map: the cache holds one per pod.
   */
  readonly containerIds: readonly string[];
}

/** The namespace fields selection reads. */
export interface NamespaceRecord {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The node fields selection reads. */
export interface NodeRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The minimal object shape the converters accept: a pod, namespace or node as plain JSON. */
export interface KubeObjectLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: unknown;
    uid?: string;
    resourceVersion?: string;
  };
  spec?: unknown;
  status?: unknown;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringMap(value: Record<string, string> | undefined): Readonly<Record<string, string>> {
  return value && Object.keys(value).length > 0 ? value : EMPTY;
}

/** Projects a pod (plain JSON from a list or watch) to a {@link PodRecord}. */
export function toPodRecord(pod: KubeObjectLike): PodRecord {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const status = (pod.status ?? {}) as Record<string, unknown>;
  const containers = Array.isArray(spec.containers) ? (spec.containers as { name?: unknown }[]) : [];
  const names = containers.map(container => str(container.name));
  return {
    namespace: str(pod.metadata?.namespace),
    name: str(pod.metadata?.name),
    uid: str(pod.metadata?.uid),
    labels: stringMap(pod.metadata?.labels),
    annotations: stringMap(pod.metadata?.annotations),
    nodeName: str(spec.nodeName),
    restartPolicy: str(spec.restartPolicy),
    schedulerName: str(spec.schedulerName),
    serviceAccountName: str(spec.serviceAccountName),
    phase: str(status.phase),
    podIP: str(status.podIP),
    nominatedNodeName: str(status.nominatedNodeName),
    terminating: pod.metadata?.deletionTimestamp != null,
    containers: names,
    containerIds: containerIdsOf(names, status.containerStatuses),
  };
}

const NO_IDS: readonly string[] = Object.freeze([]);

function containerIdsOf(names: readonly string[], statuses: unknown): readonly string[] {
  if (!Array.isArray(statuses) || statuses.length === 0) return NO_IDS;
  const entries = statuses as { name?: unknown; containerID?: unknown }[];
  const ids = names.map(name => str(entries.find(entry => entry?.name === name)?.containerID));
  return ids.some(id => id !== '') ? ids : NO_IDS;
}

/** Projects a namespace to a {@link NamespaceRecord}. */
export function toNamespaceRecord(namespace: KubeObjectLike): NamespaceRecord {
  return { name: str(namespace.metadata?.name), annotations: stringMap(namespace.metadata?.annotations) };
}

/** Projects a node to a {@link NodeRecord}. */
export function toNodeRecord(node: KubeObjectLike): NodeRecord {
  return { name: str(node.metadata?.name), labels: stringMap(node.metadata?.labels) };
}

/** The record id of a pod: `ns/pod`. */
export function podId(pod: Pick<PodRecord, 'namespace' | 'name'>): string {
  return `${pod.namespace}/${pod.name}`;
}
