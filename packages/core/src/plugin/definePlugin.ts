// SPDX-License-Identifier: Apache-2.0
import type { TSchema } from '@sinclair/typebox';
import { ContainerModule, type ResolutionContext, type ServiceIdentifier } from 'inversify';
import { DEFAULT_CHAOS_GROUP, DEFAULT_CHAOS_VERSION } from '../api/constants.js';
import { CHAOS_IMPL, KUBE_CONFIG, LOGGER, TARGET_SELECTOR } from '../di/tokens.js';
import { ChaosplaneError } from '../errors/ChaosplaneError.js';
import type { Logger } from '../logging/createLogger.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TargetSelector } from './selection.js';
import type { ChaosImpl, ChaosImplRegistration, ChaosKind, ChaosKindDefinition } from './types.js';
import type { Static } from '@sinclair/typebox';

/** What a plugin's controller factory can use. */
export interface ControllerDeps {
  /** The operator's connection to the API server. */
  kube: KubeConfig;
  /** A logger named after the plugin's kind. */
  log: Logger;
  /** Anything else bound in the operator's container (e.g. `DAEMON_CLIENT_POOL`). */
  get<T>(token: ServiceIdentifier<T>): T;
}

/**
 * The daemon half of a plugin: its own gRPC service definition and a handler factory. Typed
 * loosely here because core does not depend on the daemon; `@chaosplane/daemon` checks it.
 */
export interface DaemonPart {
  /** A ts-proto generic service definition (`{name, fullName, methods}`). */
  service: { name: string; fullName: string; methods: object };
  /** Builds the service implementation from the daemon's dependencies. */
  handler: (deps: never) => object;
}

/** What a plugin author writes. */
export interface PluginDefinition<S extends TSchema> {
  /** The chaos kind the plugin adds. */
  kind: ChaosKindDefinition<S>;
  /** Builds the controller implementation; absent for daemon-only plugins. */
  controller?: (deps: ControllerDeps) => ChaosImpl<Static<S>>;
  /** The daemon RPC handler, if the plugin needs one. */
  daemon?: DaemonPart;
  /**
   * Kinds of selectors the plugin adds (a node selector, say): each factory's result is bound
   * into the `TARGET_SELECTOR` group, so `SelectorRef`s of its kind are dispatched to it.
   */
  targetSelectors?: Array<(deps: ControllerDeps) => TargetSelector>;
}

/** A plugin as loaded by the operator and the daemon: what `definePlugin` returns. */
export interface ChaosPlugin<S extends TSchema = TSchema> {
  /** Marks the module's default export as a Chaosplane plugin. */
  readonly chaosplanePlugin: 1;
  /** The chaos kind with its defaults filled in. */
  readonly kind: ChaosKind<S>;
  /**
   * Binds the plugin's implementation into the DI "impl" group and its selector kinds into the
   * selector group; absent for daemon-only plugins.
   */
  readonly controllerModule: ContainerModule | undefined;
  /** The daemon half, if any. */
  readonly daemon: DaemonPart | undefined;
}

/** Fills a kind definition's defaults. */
export function resolveKind<S extends TSchema>(definition: ChaosKindDefinition<S>): ChaosKind<S> {
  const group = definition.group ?? DEFAULT_CHAOS_GROUP;
  const version = definition.version ?? DEFAULT_CHAOS_VERSION;
  if (!/^[A-Z][A-Za-z0-9]*$/.test(definition.kind)) {
    throw new ChaosplaneError('invalid', `kind "${definition.kind}" must be an UpperCamelCase name`, {
      field: 'kind',
    });
  }
  if (!/^[a-z][a-z0-9-]*$/.test(definition.plural)) {
    throw new ChaosplaneError('invalid', `plural "${definition.plural}" must be a lower-case DNS label`, {
      field: 'plural',
    });
  }
  return {
    group,
    version,
    apiVersion: `${group}/${version}`,
    kind: definition.kind,
    plural: definition.plural,
    singular: definition.singular ?? definition.kind.toLowerCase(),
    shortNames: definition.shortNames ?? [],
    namespaced: definition.namespaced ?? true,
    spec: definition.spec,
    rules: definition.rules ?? [],
    isOneShot: obj => definition.isOneShot?.(obj) ?? false,
    duration: obj => {
      if (definition.duration) return definition.duration(obj);
      const spec = obj.spec as { duration?: unknown } | undefined;
      return typeof spec?.duration === 'string' ? spec.duration : undefined;
    },
    selectors: obj => definition.selectors(obj),
  };
}

/**
 * Declares a plugin: a chaos kind, its controller implementation and, optionally, its daemon
 * handler. The module's default export must be the result.
 *
 * @example
 * export default definePlugin({
 *   kind: { kind: 'HelloWorldChaos', plural: 'helloworldchaos', spec: HelloWorldSpec,
 *           isOneShot: () => true, selectors: obj => ({ '.': containerSelector(obj.spec) }) },
 *   controller: ({ get }) => ({ apply: async ctx => PHASE_INJECTED, recover: async () => PHASE_NOT_INJECTED }),
 * });
 */
export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): ChaosPlugin<S> {
  const kind = resolveKind(definition.kind);
  const controller = definition.controller;
  const selectorFactories = definition.targetSelectors ?? [];
  const depsOf = (context: ResolutionContext): ControllerDeps => ({
    kube: context.get<KubeConfig>(KUBE_CONFIG),
    log: context.get<Logger>(LOGGER).child({ chaosKind: kind.kind }),
    get: token => context.get(token),
  });
  const controllerModule =
    controller === undefined && selectorFactories.length === 0
      ? undefined
      : new ContainerModule(({ bind }) => {
          if (controller !== undefined) {
            bind<ChaosImplRegistration>(CHAOS_IMPL)
              .toDynamicValue(
                context => ({ kind, impl: controller(depsOf(context)) }) as unknown as ChaosImplRegistration,
              )
              .inSingletonScope();
          }
          for (const factory of selectorFactories) {
            bind<TargetSelector>(TARGET_SELECTOR)
              .toDynamicValue(context => factory(depsOf(context)))
              .inSingletonScope();
          }
        });
  return { chaosplanePlugin: 1, kind, controllerModule, daemon: definition.daemon };
}

/** True when `value` looks like what {@link definePlugin} returns. */
export function isChaosPlugin(value: unknown): value is ChaosPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { chaosplanePlugin?: unknown }).chaosplanePlugin === 1 &&
    typeof (value as { kind?: unknown }).kind === 'object'
  );
}
