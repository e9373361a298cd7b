// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/selectors: Chaos Mesh's pod and container selection (fields, modes, safety gates)
 * served from shared informer caches, with a dry run (`explain`) and a registry of selector kinds.
 * @packageDocumentation
 */

// Selectors and registry
export {
  createPodSelector,
  NO_POD_SELECTED,
  type PodSelectorOptions,
  type SelectedPod,
} from './selection/createPodSelector.js';
export {
  createContainerSelector,
  containersOf,
  NO_CONTAINER_SELECTED,
  type SelectedContainer,
} from './selection/createContainerSelector.js';
export { parseRecordId, resolvePodTarget, resolveContainerTarget } from './selection/resolveTargets.js';
export {
  createSelectorRegistry,
  type ExplainingSelectorRegistry,
} from './registry/createSelectorRegistry.js';
export { selectorsModule } from './registry/selectorsModule.js';
export {
  isExplainable,
  type ExplainableSelector,
  type SelectionExplanation,
} from './selection/explanation.js';
export { type Exclusion, type NamespaceVerdict } from './selection/evaluatePods.js';
export { DEFAULT_PROTECTED_NAMESPACES, type SelectionGateOptions } from './selection/namespaceGates.js';

// Sources: the cache and the direct-LIST path
export type { SelectionSource, PodListHints, NodeLabelQuery } from './selection/SelectionSource.js';
export {
  createSelectionCache,
  type SelectionCache,
  type SelectionCacheOptions,
} from './cache/createSelectionCache.js';
export {
  createSelectionStore,
  type SelectionStore,
  type SelectionStoreReader,
} from './cache/createSelectionStore.js';
export { createStoreSource } from './cache/createStoreSource.js';
export { createDirectListSource } from './direct/createDirectListSource.js';

// Building blocks
export { validateModeValue, SELECTOR_MODES, type ModeValue } from './spec/validateModeValue.js';
export {
  countForMode,
  pickByMode,
  pickRandom,
  cryptoRandomIndex,
  type RandomIndex,
} from './mode/pickByMode.js';
export { POD_SELECTABLE_FIELDS } from './match/fieldRequirements.js';
export {
  toPodRecord,
  toNamespaceRecord,
  toNodeRecord,
  podId,
  type PodRecord,
  type NamespaceRecord,
  type NodeRecord,
  type KubeObjectLike,
} from './model/records.js';
