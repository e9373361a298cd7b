// SPDX-License-Identifier: Apache-2.0
/**
 * The clusterrole-aggregation controller (kube-controller-manager's): a ClusterRole with an
 * `aggregationRule` gets as `rules` the rules of every ClusterRole its selectors match (itself
 * excepted), role by role in name order, each rule once; it is written only when that differs
 * from what it has. Any ClusterRole change re-syncs every aggregated role, as the real one does.
 */
import { type ApiCore } from '../api/apiCore.js';
import { type LabelSelectorObject, requirementsOf } from '../selectors/labelSelectorObject.js';
import { matchLabels } from '../selectors/labels.js';
import { type KubeObject } from '../types.js';
import { type PolicyRule, sameRule } from './policyRules.js';
import { RBAC_STORAGE_KEYS } from './rbacAuthorizer.js';

/** The rules an aggregated role should have, given every ClusterRole. */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): PolicyRule[] {
  const selectors =
    (role.aggregationRule as { clusterRoleSelectors?: LabelSelectorObject[] } | undefined)
      ?.clusterRoleSelectors ?? [];
  const rules: PolicyRule[] = [];
  const byName = [...all].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const selector of selectors) {
    const requirements = requirementsOf(selector);
    for (const other of byName) {
      if (other.metadata.name === role.metadata.name) continue;
      if (!matchLabels(requirements, other.metadata.labels)) continue;
      for (const rule of (other.rules as PolicyRule[] | null) ?? [])
        if (!rules.some(r => sameRule(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/** Brings every aggregated ClusterRole's rules up to date. */
export async function syncAggregatedRoles(api: ApiCore): Promise<void> {
  const type = api.registry.byKey(RBAC_STORAGE_KEYS.clusterRoles);
  if (!type) return;
  const all = api.store.list(RBAC_STORAGE_KEYS.clusterRoles).map(e => e.obj);
  for (const role of all) {
    if (!role.aggregationRule) continue;
    const rules = aggregatedRules(role, all);
    const current = (role.rules as PolicyRule[] | null) ?? [];
    if (
      current.length === rules.length &&
      current.every((r, i) => {
        const other = rules[i];
        return other !== undefined && sameRule(r, other);
      })
    )
      continue;
    await api.systemUpdate(type, { ...role, rules });
  }
}
