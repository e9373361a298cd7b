// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/dev: Chaosplane on one machine, for people and tests. The embedded control plane
 * behind `chaosplane dev` (kube-emulator, a private containerd, the daemon over mTLS, the
 * operator, a local kubelet running pods as real containers, and the controllers of
 * Deployments, ReplicaSets, DaemonSets and EndpointSlices), the HelloWorldChaos demo,
 * manifest application, `eventually`, and the harness under `@chaosplane/dev/harness`.
 * @packageDocumentation
 */
export {
  startDevControlPlane,
  DEV_NAMESPACE,
  DAEMON_SERVER_NAME,
  DAEMON_CAPABILITIES,
  type DevControlPlane,
  type DevControlPlaneOptions,
  type DevDaemon,
} from './startDevControlPlane.js';
export {
  startDeployedControlPlane,
  kustomizeImage,
  DEPLOYED,
  type DeployedControlPlane,
  type DeployedControlPlaneOptions,
} from './startDeployedControlPlane.js';
export { DEV_PLANE_CONTROLLERS, type DevCluster, type DevClusterOptions } from './startDevCluster.js';
export {
  capabilityBoundingPrefix,
  spawnDaemonProcess,
  type DaemonProcess,
  type DaemonProcessOptions,
} from './spawnDaemonProcess.js';
export {
  startLocalKubelet,
  isPauseImage,
  type LocalKubelet,
  type LocalKubeletOptions,
  type ClusterAccess,
  type KubeletServerTls,
  type UnknownImagePolicy,
} from './startLocalKubelet.js';
export {
  createPodNetwork,
  podNetworkUnavailableReason,
  type PodNetwork,
  type PodNetworkAttachment,
} from './kubelet/podNetwork.js';
export {
  startDevControllers,
  DEV_CONTROLLERS,
  type DevControllerName,
  type DevControllers,
  type DevControllersOptions,
} from './startDevControllers.js';
export { runDemo, type DemoResult } from './runDemo.js';
export { applyManifests, applyManifestFile } from './applyManifests.js';
export { examplesDir } from './examplesDir.js';
export { deployDir, defaultImageArchive } from './deployDir.js';
export { OPERATOR_SERVICE_ACCOUNT } from './operatorServiceAccount.js';
export { eventually, type EventuallyOptions } from './eventually/index.js';
export { kubectlOutcome, runKubectl, type KubectlOutcome, type RunKubectlOptions } from './runKubectl.js';
