// SPDX-License-Identifier: Apache-2.0
import {
  SELECTOR_REGISTRY,
  TARGET_SELECTOR,
  type SelectorRegistry,
  type TargetSelector,
} from '@chaosplane/core';
import { ContainerModule, type ContainerModuleLoadOptions, type ResolutionContext } from 'inversify';
import { createContainerSelector } from '../selection/createContainerSelector.js';
import { createPodSelector, type PodSelectorOptions } from '../selection/createPodSelector.js';
import type { SelectionSource } from '../selection/SelectionSource.js';
import { createSelectorRegistry } from './createSelectorRegistry.js';

/**
 * Binds the `pod` and `container` selectors into the {@link TARGET_SELECTOR} group and the
 * registry to {@link SELECTOR_REGISTRY}. The registry is built from every binding in the group
 * when first resolved, so a plugin module that binds another kind into TARGET_SELECTOR is
 * dispatched without any change here.
 * @param source - the shared selection cache (or another {@link SelectionSource}).
 */
export function selectorsModule(source: SelectionSource, options: PodSelectorOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind<TargetSelector>(TARGET_SELECTOR).toConstantValue(createPodSelector(source, options));
    bind<TargetSelector>(TARGET_SELECTOR).toConstantValue(createContainerSelector(source, options));
    bind<SelectorRegistry>(SELECTOR_REGISTRY)
      .toDynamicValue((context: ResolutionContext) =>
        createSelectorRegistry(context.getAll<TargetSelector>(TARGET_SELECTOR)),
      )
      .inSingletonScope();
  });
}
