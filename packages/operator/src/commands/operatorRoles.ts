// SPDX-License-Identifier: Apache-2.0
// The operator's generated roles for the kinds it loads, in one place for `chaosplane crds
// --rbac-out` (deploy/rbac) and for `chaosplane dev`, whose operator runs as its ServiceAccount
// with roles made for the plugins it actually loaded (an out-of-tree plugin's kind included).
import {
  generateOperatorRbac,
  pluginAccessRole,
  type ClusterRoleBindingObject,
  type ClusterRoleObject,
} from '@chaosplane/engine';
import { ORCHESTRATION_PLURALS, orchestrationRbac } from '@chaosplane/orchestration';
import type { ChaosPlugin } from '@chaosplane/sdk';

/** The generated roles of {@link operatorRoles}. */
export interface OperatorRoles {
  /** The chaos kinds' objects and status (aggregated into chaosplane-operator). */
  kinds: ClusterRoleObject;
  /** Reading its CRDs by name (the start-up check), bound cluster-wide on its own. */
  readCrds: ClusterRoleObject;
  readCrdsBinding: ClusterRoleBindingObject;
  /** Optional: creating and replacing its CRDs (`--install-crds`). */
  installCrds: ClusterRoleObject;
  /** With orchestration: what Schedule, Workflow and StatusCheck add. */
  orchestration?: ClusterRoleObject;
  /** What each plugin declared in `operatorAccess`, one role per plugin that declared any. */
  pluginAccess: Array<{ plugin: ChaosPlugin; role: ClusterRoleObject }>;
}

/**
 * The operator's roles for `plugins`: their kinds' and what each declared in `operatorAccess`;
 * with `orchestration` (as the operator runs by default), the orchestration kinds' CRDs are read
 * and installed by name too, and their own role is made.
 */
export function operatorRoles(
  plugins: readonly ChaosPlugin[],
  options: { orchestration: boolean },
): OperatorRoles {
  const kinds = plugins.map(p => p.kind);
  const group = kinds[0]?.group ?? 'chaos-mesh.org';
  // The start-up check reads and --install-crds installs the orchestration CRDs with the chaos kinds'.
  const roles = generateOperatorRbac(kinds, {
    extraCrds: options.orchestration ? ORCHESTRATION_PLURALS.map(plural => `${plural}.${group}`) : [],
  });
  const pluginAccess = plugins.flatMap(plugin => {
    const role = pluginAccessRole(plugin.kind, plugin.operatorAccess);
    return role === undefined ? [] : [{ plugin, role }];
  });
  return options.orchestration
    ? { ...roles, orchestration: orchestrationRbac(kinds), pluginAccess }
    : { ...roles, pluginAccess };
}
