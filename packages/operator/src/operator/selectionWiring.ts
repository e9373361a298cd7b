// SPDX-License-Identifier: Apache-2.0
// One place that turns the operator's options into selection gates and a DI container holding
// every selector kind (bundled and plugin-added): the operator and `chaosplane explain` both
// build theirs here, so the dry run cannot disagree with what the operator would select.
import { Container } from 'inversify';
import { registerPlugins } from '@chaosplane/engine';
import { ChaosplaneError, type ChaosPlugin, type KubeClient, type Logger } from '@chaosplane/sdk';
import { KUBE_CLIENT, LOGGER, SELECTOR_REGISTRY, type SelectorRegistry } from '@chaosplane/sdk/framework';
import {
  selectorsModule,
  type ExplainingSelectorRegistry,
  type SelectionGateOptions,
  type SelectionSource,
} from '@chaosplane/selectors';
import type { OperatorOptions } from './OperatorOptions.js';

/** The part of the operator's options that decides what may be selected. */
export type SelectionConfig = Pick<OperatorOptions, 'namespace' | 'selection'>;

/** The gates the operator applies: its own namespace always protected, then the selection flags. */
export function selectionGates(config: SelectionConfig): SelectionGateOptions {
  return {
    operatorNamespace: config.namespace,
    filterNamespaces: config.selection.filterNamespaces,
    ...(config.selection.protectedNamespaces !== undefined
      ? { protectedNamespaces: config.selection.protectedNamespaces }
      : {}),
    ...(config.selection.targetNamespace !== undefined
      ? { targetNamespace: config.selection.targetNamespace }
      : {}),
  };
}

/** What {@link createOperatorContainer} needs. */
export interface OperatorContainerOptions {
  config: SelectionConfig;
  /** Reads targets back before each call, and is what plugins get as `kube`. */
  kube: KubeClient;
  log: Logger;
  /** Where selection reads pods, namespaces and nodes (the cache, or direct LISTs). */
  source: SelectionSource;
  plugins: readonly ChaosPlugin[];
}

/**
 * The operator's container: logger, kubeconfig, the bundled selectors with the operator's gates,
 * and every plugin's bindings (implementations and the selector kinds it adds).
 */
export async function createOperatorContainer(options: OperatorContainerOptions): Promise<Container> {
  const container = new Container();
  container.bind(LOGGER).toConstantValue(options.log);
  container.bind(KUBE_CLIENT).toConstantValue(options.kube);
  await container.load(
    selectorsModule(options.source, { ...selectionGates(options.config), kube: options.kube }),
  );
  await registerPlugins(container, options.plugins);
  return container;
}

/** The selector registry of an operator container, with its dry run. */
export function explainingRegistryOf(container: Container): ExplainingSelectorRegistry {
  // SELECTOR_REGISTRY's type; inversify's identifiers carry none for symbols.
  const registry = container.get<SelectorRegistry>(SELECTOR_REGISTRY);
  if (typeof (registry as Partial<ExplainingSelectorRegistry>).explain !== 'function') {
    throw new ChaosplaneError('runtime', 'the selector registry has no dry run (explain)');
  }
  return registry as ExplainingSelectorRegistry;
}
