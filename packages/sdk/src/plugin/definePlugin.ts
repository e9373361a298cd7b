// SPDX-License-Identifier: Apache-2.0
import type { Static, TSchema } from '@sinclair/typebox';
import { DEFAULT_CHAOS_GROUP, DEFAULT_CHAOS_VERSION } from '../api/constants.js';
import type { ChaosObject } from '../api/objects.js';
import type { DaemonServiceDefinition } from '../daemon/DaemonClient.js';
import { ChaosplaneError } from '../errors/ChaosplaneError.js';
import type { SelectorRef, Target, TargetOf, TargetSelector } from './selection.js';
import type { CelValidation, ChaosImpl, ChaosKindDefinition, ControllerDeps, SpecRule } from './types.js';

/**
 * The daemon half of a plugin: its gRPC service definition and the handler factory. Typed
 * loosely here because the SDK does not depend on the daemon; `defineDaemonHandler` from
 * `@chaosplane/daemon/plugin` builds it and checks the handler against the service.
 */
export interface DaemonPart {
  /** The generated service definition. */
  readonly service: DaemonServiceDefinition;
  /** Builds the service implementation when the daemon starts. */
  readonly handler: (daemon: never) => object;
  /** Linux capabilities the handler needs beyond every plugin's (`NET_ADMIN`). */
  readonly capabilities?: readonly string[];
}

/**
 * One permission the plugin's controller needs in the Kubernetes API beyond what the operator
 * always has (its kinds' objects and status, reading pods, nodes and namespaces, writing Events):
 * an RBAC rule, with the reason a reviewer of the install reads. `chaosplane crds --rbac-out`
 * writes them as the ClusterRole `chaosplane-operator-<plural>` aggregated into the operator's,
 * and `chaosplane dev` grants them to its operator, so what the plugin did not declare is refused
 * there as it would be in a cluster.
 */
export interface OperatorAccessRule {
  /** API groups (`''` is the core group). */
  readonly apiGroups: readonly string[];
  /** Resources, subresources as `pods/status`. */
  readonly resources: readonly string[];
  /** Verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`…). */
  readonly verbs: readonly string[];
  /** Limits the rule to these object names, if set. */
  readonly resourceNames?: readonly string[];
  /** What the plugin does with it (`pod-kill deletes the selected pods`). */
  readonly reason: string;
}

/** What a plugin author writes: a kind, its controller and, if it needs one, a daemon handler. */
export interface PluginDefinition<
  S extends TSchema,
  R extends Record<string, SelectorRef<unknown, Target>>,
  T extends Target = TargetOf<R>,
> {
  /** The chaos kind the plugin adds. */
  kind: ChaosKindDefinition<S, R>;
  /**
   * The implementation (`{ apply, recover }`), or a factory of it run once when the operator
   * starts; absent for daemon-only plugins.
   */
  controller?: ChaosImpl<Static<S>, T> | ((deps: ControllerDeps) => ChaosImpl<Static<S>, T>);
  /** The daemon RPC handler, if the plugin needs one. */
  daemon?: DaemonPart;
  /** Kinds of selectors the plugin adds (a node selector, say). */
  targetSelectors?: Array<(deps: ControllerDeps) => TargetSelector>;
  /** What the controller needs in the Kubernetes API beyond the operator's own access. */
  operatorAccess?: readonly OperatorAccessRule[];
}

/** A chaos kind with its defaults filled in. */
export interface ChaosKind<S extends TSchema = TSchema> {
  /** API group (`chaos-mesh.org`). */
  readonly group: string;
  /** API version (`v1alpha1`). */
  readonly version: string;
  /** `group/version`. */
  readonly apiVersion: string;
  /** Kind (`HelloWorldChaos`). */
  readonly kind: string;
  /** Plural resource name (`helloworldchaos`). */
  readonly plural: string;
  /** Singular resource name. */
  readonly singular: string;
  /** Short names for kubectl. */
  readonly shortNames: readonly string[];
  /** Namespaced or cluster-scoped. */
  readonly namespaced: boolean;
  /** The spec schema. */
  readonly spec: S;
  /** CEL rules on the spec (the CRD's and the engine's). */
  readonly validations: readonly CelValidation[];
  /** TypeScript rules beyond the schema (the engine's only). */
  readonly rules: readonly SpecRule<Static<S>>[];
  /** True when the object is applied once and never recovered by duration or pause. */
  isOneShot(obj: ChaosObject<Static<S>>): boolean;
  /** The object's duration (a Go duration string), if any. */
  duration(obj: ChaosObject<Static<S>>): string | undefined;
  /** What the object selects: selector key → selector. */
  selectors(obj: ChaosObject<Static<S>>): Record<string, SelectorRef>;
}

/** A plugin as the operator and the daemon load it: what {@link definePlugin} returns. */
export interface ChaosPlugin<S extends TSchema = TSchema> {
  /** Marks a module's default export as a Chaosplane plugin (version 2 of the contract). */
  readonly chaosplanePlugin: 2;
  /** The kind, defaults filled in. */
  readonly kind: ChaosKind<S>;
  /** Builds the implementation from the operator's dependencies; absent for daemon-only plugins. */
  readonly controller: ((deps: ControllerDeps) => ChaosImpl) | undefined;
  /** Selector kinds the plugin adds. */
  readonly targetSelectors: ReadonlyArray<(deps: ControllerDeps) => TargetSelector>;
  /** The daemon half, if any. */
  readonly daemon: DaemonPart | undefined;
  /** What the controller needs in the Kubernetes API beyond the operator's own access. */
  readonly operatorAccess: readonly OperatorAccessRule[];
}

function resolveKind<S extends TSchema, R extends Record<string, SelectorRef<unknown, Target>>>(
  definition: ChaosKindDefinition<S, R>,
): ChaosKind<S> {
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
  const group = definition.group ?? DEFAULT_CHAOS_GROUP;
  const version = definition.version ?? DEFAULT_CHAOS_VERSION;
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
    validations: definition.validations ?? [],
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

/** Refuses a rule that grants everything (`*`), is empty, or gives no reason. */
function checkOperatorAccess(rules: readonly OperatorAccessRule[]): void {
  rules.forEach((rule, index) => {
    const at = `operatorAccess[${index}]`;
    for (const key of ['apiGroups', 'resources', 'verbs'] as const) {
      const values = rule[key] as readonly unknown[] | undefined;
      if (!Array.isArray(values) || values.length === 0 || values.some(v => typeof v !== 'string')) {
        throw new ChaosplaneError('invalid', `${at}.${key} must be a non-empty list of strings`, {
          field: `${at}.${key}`,
        });
      }
      if (values.includes('*')) {
        throw new ChaosplaneError(
          'invalid',
          `${at}.${key} must not be "*": name what the controller uses, so the operator's role stays least-privilege`,
          { field: `${at}.${key}` },
        );
      }
    }
    if (typeof rule.reason !== 'string' || rule.reason.trim() === '') {
      throw new ChaosplaneError('invalid', `${at}.reason must say what the controller does with it`, {
        field: `${at}.reason`,
      });
    }
  });
}

/**
 * Declares a plugin: a chaos kind, its controller and, optionally, its daemon handler. The
 * module's default export must be the result; the operator registers the controller into its
 * "impl" group and the daemon serves the handler, so the author never touches either.
 *
 * @example
 * export default definePlugin({
 *   kind: { kind: 'HelloWorldChaos', plural: 'helloworldchaos', spec: HelloWorldSpec,
 *           isOneShot: () => true, selectors: obj => ({ '.': containerSelector(obj.spec) }) },
 *   controller: {
 *     async apply({ target, daemon }) {
 *       await daemon(HelloWorldDaemonDefinition).execHelloWorldChaos({ containerId: target.containerId });
 *       return PHASE_INJECTED;
 *     },
 *     recover: () => PHASE_NOT_INJECTED,
 *   },
 *   daemon: helloWorldDaemon,
 * });
 * @throws ChaosplaneError of kind `invalid` when the kind or plural name is malformed, or an
 * `operatorAccess` rule is empty, grants `*` or has no reason.
 */
export function definePlugin<S extends TSchema, R extends Record<string, SelectorRef<unknown, Target>>>(
  definition: PluginDefinition<S, R>,
): ChaosPlugin<S> {
  const controller = definition.controller;
  const operatorAccess = definition.operatorAccess ?? [];
  checkOperatorAccess(operatorAccess);
  return {
    chaosplanePlugin: 2,
    kind: resolveKind(definition.kind),
    controller:
      controller === undefined
        ? undefined
        : typeof controller === 'function'
          ? (controller as (deps: ControllerDeps) => ChaosImpl)
          : () => controller as unknown as ChaosImpl,
    targetSelectors: definition.targetSelectors ?? [],
    daemon: definition.daemon,
    operatorAccess,
  };
}

/** True when `value` looks like what `definePlugin` returns. */
export function isChaosPlugin(value: unknown): value is ChaosPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { chaosplanePlugin?: unknown }).chaosplanePlugin === 2 &&
    typeof (value as { kind?: unknown }).kind === 'object'
  );
}
