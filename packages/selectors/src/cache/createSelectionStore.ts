// SPDX-License-Identifier: Apache-2.0
// The in-memory store behind the selection cache: pods indexed by namespace then name, and
// namespaces and nodes by name. Selection reads only these indexes, so its cost depends on the
// namespaces a selector names, not on the size of the cluster.
import type { MapRequirement } from '../match/labelRequirements.js';
import type { NamespaceRecord, NodeRecord, PodRecord } from '../model/records.js';

/** The store's contents, read side. */
export interface SelectionStoreReader {
  /** Pods of a namespace (a fresh array). */
  podsIn(namespace: string): PodRecord[];
  pod(namespace: string, name: string): PodRecord | undefined;
  namespace(name: string): NamespaceRecord | undefined;
  node(name: string): NodeRecord | undefined;
  /** Nodes whose labels satisfy every requirement. */
  nodesMatching(requirements: readonly MapRequirement[]): NodeRecord[];
  /** Object counts. */
  counts(): { pods: number; namespaces: number; nodes: number };
}

/** The store, with the write side the reflectors use. */
export interface SelectionStore extends SelectionStoreReader {
  replacePods(pods: Iterable<PodRecord>): void;
  upsertPod(pod: PodRecord): void;
  deletePod(namespace: string, name: string): void;
  replaceNamespaces(namespaces: Iterable<NamespaceRecord>): void;
  upsertNamespace(namespace: NamespaceRecord): void;
  deleteNamespace(name: string): void;
  replaceNodes(nodes: Iterable<NodeRecord>): void;
  upsertNode(node: NodeRecord): void;
  deleteNode(name: string): void;
}

/** Creates an empty store. */
export function createSelectionStore(): SelectionStore {
  let pods = new Map<string, Map<string, PodRecord>>();
  let podCount = 0;
  let namespaces = new Map<string, NamespaceRecord>();
  let nodes = new Map<string, NodeRecord>();

  const upsertPodInto = (index: Map<string, Map<string, PodRecord>>, pod: PodRecord): boolean => {
    let byName = index.get(pod.namespace);
    if (byName === undefined) {
      byName = new Map();
      index.set(pod.namespace, byName);
    }
    const added = !byName.has(pod.name);
    byName.set(pod.name, pod);
    return added;
  };

  return {
    podsIn: namespace => [...(pods.get(namespace)?.values() ?? [])],
    pod: (namespace, name) => pods.get(namespace)?.get(name),
    namespace: name => namespaces.get(name),
    node: name => nodes.get(name),
    nodesMatching: requirements =>
      [...nodes.values()].filter(node => requirements.every(requirement => requirement.matches(node.labels))),
    counts: () => ({ pods: podCount, namespaces: namespaces.size, nodes: nodes.size }),

    replacePods(items) {
      const next = new Map<string, Map<string, PodRecord>>();
      let count = 0;
      for (const pod of items) if (upsertPodInto(next, pod)) count++;
      pods = next;
      podCount = count;
    },
    upsertPod(pod) {
      if (upsertPodInto(pods, pod)) podCount++;
    },
    deletePod(namespace, name) {
      const byName = pods.get(namespace);
      if (byName?.delete(name) === true) {
        podCount--;
        if (byName.size === 0) pods.delete(namespace);
      }
    },
    replaceNamespaces(items) {
      namespaces = new Map([...items].map(namespace => [namespace.name, namespace]));
    },
    upsertNamespace(namespace) {
      namespaces.set(namespace.name, namespace);
    },
    deleteNamespace(name) {
      namespaces.delete(name);
    },
    replaceNodes(items) {
      nodes = new Map([...items].map(node => [node.name, node]));
    },
    upsertNode(node) {
      nodes.set(node.name, node);
    },
    deleteNode(name) {
      nodes.delete(name);
    },
  };
}
