// SPDX-License-Identifier: Apache-2.0
// Turns loaded plugins into inversify bindings: each plugin's implementation joins the "impl"
// group (CHAOS_IMPL) and each selector kind it adds joins the selector group, so the engine and
// the selector registry take them all. Plugin authors never see the container.
import { ContainerModule, type Container, type ResolutionContext } from 'inversify';
import type { ChaosPlugin, ControllerDeps, Token } from '@chaosplane/sdk';
import {
  CHAOS_IMPL,
  KUBE_CLIENT,
  LOGGER,
  TARGET_SELECTOR,
  type ChaosImplRegistration,
} from '@chaosplane/sdk/framework';
import { resolveToken } from './resolveToken.js';

function depsOf(context: ResolutionContext, kindName: string): ControllerDeps {
  return {
    kube: resolveToken(context, KUBE_CLIENT),
    log: resolveToken(context, LOGGER).child({ chaosKind: kindName }),
    get: <V>(token: Token<V>) => resolveToken(context, token),
  };
}

/** The container module of one plugin: its implementation and its selector kinds, as singletons. */
function pluginModule(plugin: ChaosPlugin): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const controller = plugin.controller;
    if (controller !== undefined) {
      bind<ChaosImplRegistration>(CHAOS_IMPL)
        .toDynamicValue(context => ({
          kind: plugin.kind as ChaosImplRegistration['kind'],
          impl: controller(depsOf(context, plugin.kind.kind)),
        }))
        .inSingletonScope();
    }
    for (const factory of plugin.targetSelectors) {
      bind(TARGET_SELECTOR)
        .toDynamicValue(context => factory(depsOf(context, plugin.kind.kind)))
        .inSingletonScope();
    }
  });
}

/**
 * Loads every plugin into `container`. The container must already bind `LOGGER` and
 * `KUBE_CLIENT` (and whatever the plugins' factories `get`); the factories run when the engine
 * first takes the group.
 */
export async function registerPlugins(container: Container, plugins: readonly ChaosPlugin[]): Promise<void> {
  await container.load(...plugins.map(pluginModule));
}
