// SPDX-License-Identifier: Apache-2.0
import {
  createSelectionStore,
  createStoreSource,
  toNamespaceRecord,
  toNodeRecord,
  toPodRecord,
  type SelectionSource,
} from '@chaosplane/selectors';
import { NAMESPACES, NODES, PODS, namespaceObject, nodeObject, podAsStored } from './cluster.js';

/** The fixture cluster in an in-memory store. */
export function fixtureSource(): SelectionSource {
  const store = createSelectionStore();
  store.replacePods(PODS.map(pod => toPodRecord(podAsStored(pod))));
  store.replaceNamespaces(NAMESPACES.map(namespace => toNamespaceRecord(namespaceObject(namespace))));
  store.replaceNodes(NODES.map(node => toNodeRecord(nodeObject(node))));
  return createStoreSource(store);
}
