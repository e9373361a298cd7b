// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/operator: the production operator. The `chaosplane-operator` binary (plugins,
 * selection cache, daemon client pool, engine, leader election, health and metrics), and the
 * library behind the CLI's `crds` and `explain` commands.
 * @packageDocumentation
 */
export { startOperator, type RunningOperator } from './operator/startOperator.js';
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
export { operatorRoles, type OperatorRoles } from './commands/operatorRoles.js';
export {
  explainManifest,
  formatExplanations,
  type ExplainOptions,
  isOrchestrationExplanation,
  type ObjectExplanation,
  type Explanation,
} from './commands/explain.js';
export { type OrchestrationExplanation } from './commands/explainOrchestration.js';
export { parseManifests, type ManifestObject } from './config/parseManifests.js';
