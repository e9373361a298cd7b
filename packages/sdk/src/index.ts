// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/sdk: what a plugin author writes a chaos kind with. A kind (its TypeBox schema and
 * what it selects), an implementation (`apply`/`recover` on one target, with a daemon client
 * bound to the target's node), phases and the one error class. Nothing of the engine.
 * @packageDocumentation
 */

// Declaring a plugin
export {
  definePlugin,
  type PluginDefinition,
  type ChaosPlugin,
  type ChaosKind,
  type DaemonPart,
  type OperatorAccessRule,
} from './plugin/definePlugin.js';
export type {
  ChaosKindDefinition,
  ChaosImpl,
  ImplContext,
  ImplEvents,
  ControllerDeps,
  CelValidation,
  SpecRule,
  Violation,
} from './plugin/types.js';
export { createActionMultiplexer, type ActionMultiplexer } from './plugin/actionMultiplexer.js';

// Schemas: TypeBox itself (the version the CRD generator reads) and Chaos Mesh's selector fields
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export { StringEnum, DurationString, celString } from './api/schemaHelpers.js';
export {
  PodSelectorProperties,
  ContainerSelectorProperties,
  PodSelectorSchema,
  ContainerSelectorSchema,
  type PodSelector,
  type ContainerSelector,
} from './api/selector.js';
export { parseDuration } from './api/duration.js';

// Selection and targets
export {
  podSelector,
  containerSelector,
  type SelectorRef,
  type TargetSelector,
  type SelectionContext,
  type SelectedTarget,
  type Target,
  type PodTarget,
  type ContainerTarget,
  type TargetOf,
} from './plugin/selection.js';

// Phases
export {
  PHASE_NOT_INJECTED,
  PHASE_INJECTED,
  subPhase,
  isInjectedPhase,
  isNotInjectedPhase,
  type Phase,
} from './api/phase.js';

// Objects and status
export type { ChaosObject, ObjectMeta, Pod } from './api/objects.js';
export type { ContainerRecord, ChaosStatus } from './api/status.js';

// Errors, logging, dependencies, the daemon and the API server
export { ChaosplaneError, type ChaosplaneErrorKind } from './errors/ChaosplaneError.js';
export type { Logger } from './logging/Logger.js';
export { defineToken, type Token } from './di/tokens.js';
export type { DaemonClient, DaemonServiceDefinition } from './daemon/DaemonClient.js';
export type { KubeClient, KubeRequestOptions } from './kube/KubeClient.js';
