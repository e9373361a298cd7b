// SPDX-License-Identifier: Apache-2.0
// The public face of the lifecycle engine (re-exported by the package index).
export {
  createEngine,
  startEngine,
  createEngineFromContainer,
  type Engine,
  type EngineOptions,
  type StartEngineOptions,
  type StartedEngine,
} from './createEngine.js';
export {
  createKindController,
  experimentPhase,
  type KindController,
  type KindControllerOptions,
} from './createKindController.js';
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from './queue/createWorkQueue.js';
export {
  createExponentialRateLimiter,
  createTokenBucketRateLimiter,
  createMaxOfRateLimiter,
  createDefaultRateLimiter,
  type RateLimiter,
  type ExponentialRateLimiterOptions,
  type TokenBucketOptions,
  type DefaultRateLimiterOptions,
} from './queue/rateLimiters.js';
export {
  createInformer,
  keyOf,
  type Informer,
  type InformerOptions,
  type InformedObject,
} from './informer/createInformer.js';
export {
  createKubeClient,
  type KubeClient,
  type KubeClientOptions,
  type KubeRequestOptions,
  type WatchEvent,
} from './kube/createKubeClient.js';
export {
  kubeApiError,
  kubeStatusCode,
  isConflict,
  isNotFound,
  type KubeApiFailure,
} from './kube/kubeErrors.js';
export {
  createChaosApi,
  collectionPath,
  objectPath,
  type ChaosApi,
  type ListWatchApi,
  type ListResult,
} from './kube/ChaosApi.js';
export {
  createEventApi,
  createLeaseApi,
  type EventApi,
  type LeaseApi,
  type KubeEvent,
  type Lease,
} from './kube/CoreApi.js';
export {
  createObjectAccess,
  compareResourceVersions,
  type ObjectAccess,
  type ObjectAccessOptions,
  type WriteTarget,
} from './pipeline/createObjectAccess.js';
export {
  createPipeline,
  type Pipeline,
  type PipelineDeps,
  type ReconcileResult,
} from './pipeline/createPipeline.js';
export {
  runRecords,
  fitRecordEvents,
  MAX_RECORDS_BYTES,
  type RecordRunnerOptions,
  type RecordRunResult,
  type RecordBackoff,
} from './pipeline/runRecords.js';
export {
  computeDesiredPhase,
  expiryOf,
  isPaused,
  isDeleted,
  type DesiredPhaseDecision,
  type DesiredPhaseReason,
} from './steps/desiredPhase.js';
export { computeConditions, sameConditions, type SelectionNote } from './steps/conditions.js';
export { finalizersToInit, finalizersToClean, type CleanReason } from './steps/finalizers.js';
export {
  PHASE_APPLYING,
  PHASE_RECOVERING,
  nextOperation,
  markerFor,
  presentedPhase,
  type RecordOperation,
} from './steps/recordPhases.js';
export {
  createEventRecorder,
  type EventRecorder,
  type EventRecorderOptions,
  type ChaosEventReason,
} from './events/createEventRecorder.js';
export { createEngineMetrics, type EngineMetrics } from './metrics/createEngineMetrics.js';
export {
  LEADERSHIP_LOST,
  LEADERSHIP_RELEASED,
  createLeaderElector,
  type LeaderElector,
  type LeaderElectionOptions,
  type LeaderElectorDeps,
} from './leader/createLeaderElector.js';
