// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/engine: the reconcile engine behind the operator. One informer and work queue per
 * kind, the five-step pipeline (finalizer, desired phase, conditions, records, finalizer) over
 * every plugin's implementation, leader election, Events and metrics; spec validation and CRD
 * generation from the kinds' schemas.
 * @packageDocumentation
 */
export {
  createEngine,
  startEngine,
  createEngineFromContainer,
  type Engine,
  type EngineOptions,
  type StartEngineOptions,
  type StartedEngine,
} from './createEngine.js';
export { experimentPhase, type KindController } from './createKindController.js';
export type { DaemonEndpointsOptions } from './daemons/createDaemonInstances.js';
export {
  systemClock,
  createManualClock,
  type Clock,
  type ManualClock,
  type ManualClockOptions,
} from './clock/clock.js';
export { registerPlugins } from './plugin/registerPlugins.js';
export type { EngineExtension, ExtensionContext, ExtensionRun } from './extensions/EngineExtension.js';
// The controller parts other controllers reuse (the dev control plane's workload controllers).
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from './queue/createWorkQueue.js';
export type { RateLimiter } from './queue/rateLimiters.js';
export {
  createEventRecorder,
  type EventRecorder,
  type EventRecorderOptions,
  type EventReason,
  type EventSubject,
  type ChaosEventReason,
} from './events/createEventRecorder.js';
export { createEventApi, type EventApi, type KubeEvent } from './kube/CoreApi.js';
export {
  createSpecValidator,
  validateChaosObject,
  validateChaosUpdate,
  formatViolations,
  durationViolations,
  type SpecValidator,
} from './api/validation.js';
export {
  generateCrd,
  crdSpecSchema,
  crdToYaml,
  toKubernetesSchema,
  type CustomResourceDefinitionObject,
} from './crd/generateCrd.js';
export {
  generateOperatorRbac,
  pluginAccessRole,
  PLUGIN_ACCESS_LABEL,
  rbacToYaml,
  GENERATED_RBAC_HEADER,
  type ClusterRoleObject,
  type ClusterRoleBindingObject,
  type PolicyRule,
} from './crd/generateRbac.js';
export { writeCrdFiles, crdFileName } from './crd/writeCrdFiles.js';
export {
  generateNamespaceDefaultingPolicy,
  namespaceDefaultingPolicyToYaml,
  defaultedNamespaceFields,
  NAMESPACE_DEFAULTING_POLICY,
  type ValidatingAdmissionPolicyObject,
  type ValidatingAdmissionPolicyBindingObject,
} from './crd/namespaceDefaulting.js';
export { structuralViolations } from './crd/structural.js';
export type { JsonSchema } from './api/jsonSchema.js';
export { ChaosStatusSchema } from './crd/statusSchema.js';
