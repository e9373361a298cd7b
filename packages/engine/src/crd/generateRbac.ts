// SPDX-License-Identifier: Apache-2.0
// The operator's access to the chaos kinds it loads, generated from those kinds: each kind's
// resource and its status by name (never `chaos-mesh.org/*`, which would include every Chaos
// Mesh kind, loaded or not), aggregated into chaosplane-operator; and reads of its own CRDs by
// name (the start-up check, with the orchestration kinds' CRDs when the operator runs them) in a
// ClusterRole of their own with its own ClusterRoleBinding: CRDs
// are cluster-scoped, so when chaosplane-operator is bound in one namespace only
// (--target-namespace) a RoleBinding could never grant them. Creating and replacing CRDs
// (`--install-crds`) is a separate, optional role: create cannot be limited by resourceNames,
// so it is granted only where the operator installs its own CRDs; that role also installs the
// namespace-defaulting ValidatingAdmissionPolicy and its binding (namespaceDefaulting.ts). What
// a plugin's controller needs beyond that (PodChaos deletes pods) it declares (`operatorAccess`), and gets a ClusterRole
// of its own, aggregated too, so leaving the plugin out leaves its access out.
import { stringify } from 'yaml';
import type { ChaosKind, OperatorAccessRule } from '@chaosplane/sdk';
import { NAMESPACE_DEFAULTING_POLICY } from './namespaceDefaulting.js';

/** One RBAC policy rule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** A ClusterRole object, as plain data. */
export interface ClusterRoleObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  metadata: { name: string; labels: Record<string, string> };
  rules: PolicyRule[];
}

/** A ClusterRoleBinding of a ClusterRole to the operator's ServiceAccount, as plain data. */
export interface ClusterRoleBindingObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding';
  metadata: { name: string; labels: Record<string, string> };
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole'; name: string };
  subjects: Array<{ kind: 'ServiceAccount'; name: string; namespace: string }>;
}

const AGGREGATE = {
  'app.kubernetes.io/part-of': 'chaosplane',
  'rbac.chaosplane.io/aggregate-to-operator': 'true',
};
const CRD_GROUP = 'apiextensions.k8s.io';
const ADMISSION_GROUP = 'admissionregistration.k8s.io';
/** The namespace-defaulting warning policy and its binding, which `--install-crds` installs too. */
const POLICY_RESOURCES = ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'];
const PART_OF = { 'app.kubernetes.io/part-of': 'chaosplane' };
/** The operator's ServiceAccount (deploy/rbac/operator.yaml). */
const OPERATOR_SUBJECT = {
  kind: 'ServiceAccount' as const,
  name: 'chaosplane-operator',
  namespace: 'chaosplane',
};

/** The CRD names of `kinds` (`podchaos.chaos-mesh.org`). */
const crdNames = (kinds: readonly ChaosKind[]) => kinds.map(k => `${k.plural}.${k.group}`).sort();

/** Rules of the chaos objects: per API group, the kinds' resources, then their status. */
function chaosObjectRules(kinds: readonly ChaosKind[]): PolicyRule[] {
  const groups = [...new Set(kinds.map(k => k.group))].sort();
  return groups.flatMap(group => {
    const plurals = kinds
      .filter(k => k.group === group)
      .map(k => k.plural)
      .sort();
    return [
      // Finalizers through the main resource; status through /status.
      { apiGroups: [group], resources: plurals, verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: [group], resources: plurals.map(p => `${p}/status`), verbs: ['get', 'update', 'patch'] },
    ];
  });
}

/**
 * The operator's RBAC for `kinds`: the chaos objects (a ClusterRole aggregated into
 * chaosplane-operator), reading its CRDs (a ClusterRole bound cluster-wide on its own, for both
 * modes), and the optional role `--install-crds` needs; `options.extraCrds` names the other CRDs
 * the operator runs on (the orchestration kinds', which embed the chaos kinds): its start-up
 * check reads them and `--install-crds` installs them, so both roles name them.
 */
export function generateOperatorRbac(
  kinds: readonly ChaosKind[],
  options: { extraCrds?: readonly string[] } = {},
): {
  kinds: ClusterRoleObject;
  readCrds: ClusterRoleObject;
  readCrdsBinding: ClusterRoleBindingObject;
  installCrds: ClusterRoleObject;
} {
  const names = crdNames(kinds);
  const owned = [...names, ...(options.extraCrds ?? [])].sort();
  return {
    kinds: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'chaosplane-operator-chaos-kinds', labels: AGGREGATE },
      rules: chaosObjectRules(kinds),
    },
    readCrds: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'chaosplane-operator-crds', labels: PART_OF },
      // The start-up check reads its own CRDs, by name.
      rules: [
        {
          apiGroups: [CRD_GROUP],
          resources: ['customresourcedefinitions'],
          resourceNames: owned,
          verbs: ['get'],
        },
      ],
    },
    readCrdsBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'chaosplane-operator-crds', labels: PART_OF },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'chaosplane-operator-crds',
      },
      subjects: [OPERATOR_SUBJECT],
    },
    installCrds: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'chaosplane-operator-install-crds', labels: AGGREGATE },
      rules: [
        // The API server authorizes a create before the object has a name: it cannot be limited.
        { apiGroups: [CRD_GROUP], resources: ['customresourcedefinitions'], verbs: ['create'] },
        {
          apiGroups: [CRD_GROUP],
          resources: ['customresourcedefinitions'],
          resourceNames: owned,
          verbs: ['get', 'update'],
        },
        // The namespace-defaulting warning policy and its binding: by name, but for create.
        { apiGroups: [ADMISSION_GROUP], resources: POLICY_RESOURCES, verbs: ['create'] },
        {
          apiGroups: [ADMISSION_GROUP],
          resources: POLICY_RESOURCES,
          resourceNames: [NAMESPACE_DEFAULTING_POLICY],
          verbs: ['get', 'update'],
        },
      ],
    },
  };
}

/** The label of a plugin's access role, whose value is the kind's plural. */
export const PLUGIN_ACCESS_LABEL = 'rbac.chaosplane.io/plugin-access';

/**
 * The ClusterRole `chaosplane-operator-<plural>` holding what the plugin of `kind` declared in
 * `operatorAccess` (aggregated into chaosplane-operator, and labelled {@link PLUGIN_ACCESS_LABEL}
 * so an installation can find a plugin's role); undefined when it declared nothing.
 */
export function pluginAccessRole(
  kind: ChaosKind,
  access: readonly OperatorAccessRule[],
): ClusterRoleObject | undefined {
  if (access.length === 0) return undefined;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: `chaosplane-operator-${kind.plural}`,
      labels: { ...AGGREGATE, [PLUGIN_ACCESS_LABEL]: kind.plural },
    },
    rules: access.map(rule => ({
      apiGroups: [...rule.apiGroups],
      resources: [...rule.resources],
      ...(rule.resourceNames === undefined ? {} : { resourceNames: [...rule.resourceNames] }),
      verbs: [...rule.verbs],
    })),
  };
}

/** The first line of every file {@link rbacToYaml} writes: what tells a generated role file apart. */
export const GENERATED_RBAC_HEADER =
  '# Generated by `chaosplane crds --rbac-out` (`npm run generate` here) from the loaded plugins. Do not edit.';

/** Generated RBAC objects as one YAML stream, with the header that marks it generated. */
export function rbacToYaml(
  objects: ClusterRoleObject | ReadonlyArray<ClusterRoleObject | ClusterRoleBindingObject>,
  about: string,
): string {
  const list = Array.isArray(objects) ? objects : [objects];
  return `${GENERATED_RBAC_HEADER}\n# ${about}\n${list.map(o => stringify(o)).join('---\n')}`;
}
