// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/kube: Chaosplane's one Kubernetes access layer. An HTTPS connection (requests and
 * watch streams, credentials from client-node's KubeConfig), one error shape (`ChaosplaneError`
 * with the HTTP status), and the reflector (list + watch with relist, back-off and watchdog,
 * typed events) behind the engine's informers and the selection cache.
 * @packageDocumentation
 */
export {
  createKubeConnection,
  type KubeConnection,
  type KubeConnectionOptions,
  type WatchEvent,
} from './createKubeConnection.js';
export { kubeApiError, kubeStatusCode, isConflict, isNotFound, type KubeApiFailure } from './kubeErrors.js';
export { createListWatch, type ListWatch, type ListResult, type ListWatchOptions } from './listWatch.js';
export {
  runReflector,
  type ReflectorEvent,
  type ReflectorOptions,
  type RestartCause,
} from './runReflector.js';
export {
  createInformer,
  keyOf,
  type Informer,
  type InformerOptions,
  type InformedObject,
} from './createInformer.js';
export { resourcePath, PODS, type ResourceType } from './resourcePath.js';
export { createResourceDiscovery } from './discoverResource.js';
export { loadKubeConfig } from './loadKubeConfig.js';
