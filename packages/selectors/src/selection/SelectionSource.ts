// SPDX-License-Identifier: Apache-2.0
import type { MapRequirement } from '../match/labelRequirements.js';
import type { NamespaceRecord, NodeRecord, PodRecord } from '../model/records.js';

/** Server-side filters a source may apply when listing pods; results are re-checked in memory. */
export interface PodListHints {
  /** Label selector in the API server's syntax, e.g. `app=web,tier in (a,b)`. */
  readonly labelSelector?: string;
  /** Field selector in the API server's syntax, e.g. `spec.nodeName=n1,status.phase!=Failed`. */
  readonly fieldSelector?: string;
}

/** Node labels to list by: the query string and the same requirements compiled. */
export interface NodeLabelQuery {
  readonly labelSelector: string;
  readonly requirements: readonly MapRequirement[];
}

/**
 * Where selection reads pods, namespaces and nodes from: the shared informer cache
 * ({@link createSelectionCache}) or the API server directly ({@link createDirectListSource}).
 * The selection logic is the same over both.
 */
export interface SelectionSource {
  /** The pods of one namespace. A source may use `hints` to filter server-side. */
  listPods(namespace: string, hints: PodListHints, signal: AbortSignal): Promise<readonly PodRecord[]>;
  /** One pod, or undefined when it does not exist. */
  getPod(namespace: string, name: string, signal: AbortSignal): Promise<PodRecord | undefined>;
  /** One namespace, or undefined when it does not exist. */
  getNamespace(name: string, signal: AbortSignal): Promise<NamespaceRecord | undefined>;
  /** One node, or undefined when it does not exist. */
  getNode(name: string, signal: AbortSignal): Promise<NodeRecord | undefined>;
  /** The nodes whose labels satisfy the query. */
  listNodes(query: NodeLabelQuery, signal: AbortSignal): Promise<readonly NodeRecord[]>;
}
