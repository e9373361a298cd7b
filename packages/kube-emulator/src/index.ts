// SPDX-License-Identifier: Apache-2.0
/**
 * @packageDocumentation
 * @chaosplane/kube-emulator: a Kubernetes API server emulator that kubectl and
 * @kubernetes/client-node accept, for tests and local control planes.
 */
export const PACKAGE_NAME = '@chaosplane/kube-emulator';

export { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from './kubeEmulator.js';
export { type KubeletClientOptions } from './http/kubeletProxy.js';
export { type AuthorizationMode } from './auth/requestAuth.js';
export {
  type BoundObjectRef,
  type CreateTokenOptions,
  type IssuedToken,
} from './auth/serviceAccountTokens.js';
export {
  KubeEmulatorError,
  type KubeEmulatorErrorKind,
  type StatusBody,
  type StatusCause,
  type StatusDetails,
  type StatusReason,
} from './errors.js';
export {
  type ErrorFault,
  type FaultConfig,
  type FaultInjector,
  type FaultMatch,
  type FaultStats,
  type LatencyFault,
  type WatchDisconnectFault,
} from './faultInjector.js';
export { renderKubeconfig, type KubeconfigParts } from './kubeconfig.js';
export {
  parseLabelSelector,
  matchLabels,
  type LabelSelector,
  type LabelRequirement,
} from './selectors/labels.js';
export { applyJsonPatch } from './patch/jsonPatch.js';
export { applyMergePatch } from './patch/mergePatch.js';
export { applyStrategicMergePatch } from './patch/strategicMergePatch.js';
export { type KubeObject, type ObjectMeta, type OwnerReference, type Verb } from './types.js';
