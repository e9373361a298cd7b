// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/operator: the `chaosplane-operator` binary and the `chaosplane` CLI, and the
 * embedded control plane behind `chaosplane dev`, usable from code (end-to-end tests).
 * @packageDocumentation
 */
export { startOperator, loadKubeConfig, type RunningOperator } from './operator/startOperator.js';
export type { OperatorOptions, DaemonDiscovery } from './operator/OperatorOptions.js';
export { installCrds } from './operator/installCrds.js';
export {
  parseOperatorArgs,
  operatorCommand,
  selectionOptions,
  selectionConfigFromCommand,
} from './config/operatorArgs.js';
export { parseExplainArgs, explainCommand, explainOptionsFromCommand } from './config/explainArgs.js';
export {
  selectionGates,
  createOperatorContainer,
  explainingRegistryOf,
  type SelectionConfig,
  type OperatorContainerOptions,
} from './operator/selectionWiring.js';
export {
  resolvePluginList,
  BUNDLED_PLUGINS,
  PLUGINS_ENV,
  type PluginListSources,
} from './config/pluginList.js';
export { generateCrdFiles, type GenerateCrdFilesOptions } from './commands/crds.js';
export {
  explainManifest,
  formatExplanations,
  type ExplainOptions,
  type ObjectExplanation,
} from './commands/explain.js';
export {
  startDevControlPlane,
  DEV_NAMESPACE,
  type DevControlPlane,
  type DevControlPlaneOptions,
  type DevDaemon,
} from './dev/startDevControlPlane.js';
export {
  capabilityBoundingPrefix,
  spawnDaemonProcess,
  type DaemonProcess,
  type DaemonProcessOptions,
} from './dev/spawnDaemonProcess.js';
export { startLocalKubelet, type LocalKubelet, type LocalKubeletOptions } from './dev/startLocalKubelet.js';
export { runDemo, type DemoResult } from './dev/runDemo.js';
export { applyManifests, applyManifestFile, parseManifests } from './dev/manifests.js';
