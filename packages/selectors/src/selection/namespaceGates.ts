// SPDX-License-Identifier: Apache-2.0
// The namespace safety gates: protected namespaces, the opt-in annotation filter and the
// namespace-scoped mode.
import { ChaosplaneError } from '@chaosplane/sdk';
import { INJECT_ANNOTATION, INJECT_ENABLED } from '@chaosplane/sdk/framework';
import type { SelectionSource } from './SelectionSource.js';

/** Namespaces never selected unless configured otherwise. */
export const DEFAULT_PROTECTED_NAMESPACES: readonly string[] = Object.freeze([
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/** The safety gates of a selector. */
export interface SelectionGateOptions {
  /**
   * Namespaces never selected. Defaults to {@link DEFAULT_PROTECTED_NAMESPACES}; pass `[]` to
   * protect none (the operator's namespace stays protected when {@link operatorNamespace} is set).
   */
  readonly protectedNamespaces?: readonly string[];
  /** The operator's own namespace, always protected. */
  readonly operatorNamespace?: string;
  /**
   * Opt-in mode (Chaos Mesh `ENABLE_FILTER_NAMESPACE`): only namespaces annotated
   * `chaos-mesh.org/inject=enabled` are eligible.
   */
  readonly filterNamespaces?: boolean;
  /**
   * Namespace-scoped mode (Chaos Mesh `CLUSTER_SCOPED=false` + `TARGET_NAMESPACE`): the only
   * namespace selection may read.
   */
  readonly targetNamespace?: string;
}

/** The compiled gates. */
export interface NamespaceGates {
  /** The protected namespaces in force. */
  readonly protectedNamespaces: ReadonlySet<string>;
  /** Why pods of `namespace` may not be selected, or undefined when they may. */
  exclusionReason(namespace: string, signal: AbortSignal): Promise<string | undefined>;
  /** Throws Chaos Mesh's errors when `namespaces` break the namespace-scoped mode. */
  checkScope(namespaces: readonly string[]): void;
  /** Why a namespace named in `pods` is skipped in the namespace-scoped mode. */
  scopeReason(namespace: string): string | undefined;
}

/** Compiles the gates over a source (for the namespaces' annotations). */
export function createNamespaceGates(
  source: SelectionSource,
  options: SelectionGateOptions = {},
): NamespaceGates {
  const protectedNamespaces = new Set(options.protectedNamespaces ?? DEFAULT_PROTECTED_NAMESPACES);
  if (options.operatorNamespace !== undefined && options.operatorNamespace !== '') {
    protectedNamespaces.add(options.operatorNamespace);
  }
  const target = options.targetNamespace;
  return {
    protectedNamespaces,
    async exclusionReason(namespace, signal) {
      if (protectedNamespaces.has(namespace)) return `namespace ${namespace} is protected`;
      if (options.filterNamespaces === true) {
        const record = await source.getNamespace(namespace, signal);
        if (record === undefined) return `namespace ${namespace} does not exist`;
        if (record.annotations[INJECT_ANNOTATION] !== INJECT_ENABLED) {
          return `namespace ${namespace} is not annotated ${INJECT_ANNOTATION}=${INJECT_ENABLED}`;
        }
      }
      return undefined;
    },
    checkScope(namespaces) {
      if (target === undefined) return;
      if (namespaces.length > 1) {
        throw new ChaosplaneError(
          'selection',
          'could NOT use more than 1 namespace selector within namespace scoped mode',
          {
            field: 'selector.namespaces',
          },
        );
      }
      for (const namespace of namespaces) {
        if (namespace !== target) {
          throw new ChaosplaneError(
            'selection',
            `could NOT list pods from out of scoped namespace: ${namespace}`,
            {
              field: 'selector.namespaces',
            },
          );
        }
      }
    },
    scopeReason(namespace) {
      return target !== undefined && namespace !== target
        ? `namespace ${namespace} is outside the scoped namespace ${target}`
        : undefined;
    },
  };
}
