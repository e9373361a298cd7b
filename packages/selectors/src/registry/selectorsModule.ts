// SPDX-License-Identifier: Apache-2.0
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import type { TargetSelector } from '@chaosplane/sdk';
import { SELECTOR_REGISTRY, TARGET_SELECTOR } from '@chaosplane/sdk/framework';
import type { SelectionSource } from '../selection/SelectionSource.js';
import { createContainerSelector } from '../selection/createContainerSelector.js';
import { createPodSelector, type PodSelectorOptions } from '../selection/createPodSelector.js';
import { createSelectorRegistry } from './createSelectorRegistry.js';

/**
 * Binds the `pod` and `container` selectors into the {@link TARGET_SELECTOR} group and the
 * registry to {@link SELECTOR_REGISTRY}. The registry is built from every binding in the group
 * when first resolved, so a plugin module that binds another kind into TARGET_SELECTOR is
 * dispatched without any change here.
 * @param source - the shared selection cache (or another {@link SelectionSource}).
 * @param options - the safety gates, and the API client that reads targets back (`kube`).
 */
export function selectorsModule(source: SelectionSource, options: PodSelectorOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind(TARGET_SELECTOR).toConstantValue(createPodSelector(source, options));
    bind(TARGET_SELECTOR).toConstantValue(createContainerSelector(source, options));
    // The registry multi-injects the selector group: every kind bound into it, plugins' included.
    bind(SELECTOR_REGISTRY)
      .toResolvedValue<[TargetSelector[]]>(
        selectors => createSelectorRegistry(selectors),
        [{ serviceIdentifier: TARGET_SELECTOR, isMultiple: true }],
      )
      .inSingletonScope();
  });
}
