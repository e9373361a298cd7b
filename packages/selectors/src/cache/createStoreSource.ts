// SPDX-License-Identifier: Apache-2.0
import type { SelectionSource } from '../selection/SelectionSource.js';
import type { SelectionStoreReader } from './createSelectionStore.js';

/**
 * A {@link SelectionSource} reading a {@link SelectionStoreReader}: the cache's read side, also
 * usable over a store filled by hand (tools, unit tests, benchmarks). Hints are not needed: the
 * store's namespace index already narrows the pods, and every pod is re-checked in memory.
 */
export function createStoreSource(store: SelectionStoreReader): SelectionSource {
  return {
    listPods: namespace => Promise.resolve(store.podsIn(namespace)),
    getPod: (namespace, name) => Promise.resolve(store.pod(namespace, name)),
    getNamespace: name => Promise.resolve(store.namespace(name)),
    getNode: name => Promise.resolve(store.node(name)),
    listNodes: query => Promise.resolve(store.nodesMatching(query.requirements)),
  };
}
