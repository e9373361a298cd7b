// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/core: the API model and schemas, the plugin contract, DI tokens, the reconcile
 * engine, the daemon client pool and CRD generation.
 * @packageDocumentation
 */
export { ChaosplaneError, type ChaosplaneErrorKind } from './errors/ChaosplaneError.js';
export {
  createLogger,
  createSilentLogger,
  chaosLogger,
  type Logger,
  type LoggerOptions,
  type ChaosLogContext,
} from './logging/createLogger.js';

// API model (Chaos Mesh-compatible JSON shapes)
export * from './api/constants.js';
export * from './api/phase.js';
export * from './api/selector.js';
export * from './api/status.js';
export type { ChaosObject } from './api/ChaosObject.js';

// Plugin contract and DI
export * from './di/tokens.js';
export * from './plugin/selection.js';
export type * from './plugin/types.js';
export {
  definePlugin,
  resolveKind,
  isChaosPlugin,
  type ChaosPlugin,
  type PluginDefinition,
  type ControllerDeps,
  type DaemonPart,
} from './plugin/definePlugin.js';
export { loadPlugins, registerPlugins, type LoadPluginsOptions } from './plugin/loadPlugins.js';

// Durations, validation and CRDs
export { parseDuration, parseDurationNanos } from './api/duration.js';
export { StringEnum, DurationString } from './api/schema-helpers.js';
export type { JsonSchema } from './api/json-schema.js';
export {
  createSpecValidator,
  validateChaosObject,
  validateChaosUpdate,
  selectorValueViolations,
  durationViolations,
  formatViolations,
  assertValid,
  type SpecValidator,
} from './api/validation.js';
export {
  generateCrd,
  crdToYaml,
  toKubernetesSchema,
  type CustomResourceDefinitionObject,
} from './crd/generateCrd.js';
export { structuralViolations } from './crd/structural.js';

// The chaos lifecycle engine: informers, work queue, the five-step pipeline, leader election.
export * from './engine/index.js';
