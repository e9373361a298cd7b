// SPDX-License-Identifier: Apache-2.0
/**
 * The RBAC authorizer over the emulator's store: the rules of every ClusterRoleBinding whose
 * subjects include the user, then, for a namespaced request, of every RoleBinding in that
 * namespace; the first rule that allows the request decides. A binding whose role is missing
 * contributes an error that the denial's reason carries (`RBAC: clusterrole… not found`), as
 * the apiserver's does. The reasons and the rules review follow the apiserver's wording.
 */
import { objectKey } from '../store/objectStore.js';
import { type ObjectStore } from '../store/objectStore.js';
import { type KubeObject } from '../types.js';
import { type PolicyRule, ruleAllows } from './policyRules.js';
import { type RequestAttributes } from './requestAttributes.js';
import { SYSTEM_MASTERS, type UserInfo, serviceAccountUserName } from './userInfo.js';

const GROUP = 'rbac.authorization.k8s.io';
const KEYS = {
  clusterRoles: `clusterroles.${GROUP}`,
  clusterRoleBindings: `clusterrolebindings.${GROUP}`,
  roles: `roles.${GROUP}`,
  roleBindings: `rolebindings.${GROUP}`,
};

/** The storage keys of the RBAC kinds. */
export const RBAC_STORAGE_KEYS = KEYS;

/** A binding subject. */
interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding extends KubeObject {
  subjects?: Subject[];
  roleRef?: { kind?: string; name?: string; apiGroup?: string };
}

/** One authorizer's answer: allow, or no opinion (RBAC never denies), with its reason. */
export interface Decision {
  allowed: boolean;
  reason: string;
}

/** What a user may do in a namespace (SelfSubjectRulesReview). */
export interface RulesResult {
  rules: PolicyRule[];
  errors: string[];
}

function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind ?? '') {
    case 'User':
      return user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name ?? '');
    case 'ServiceAccount': {
      // A RoleBinding's subject without a namespace means a ServiceAccount of its own.
      const saNamespace = subject.namespace || namespace;
      if (!saNamespace) return false;
      return user.name === serviceAccountUserName(saNamespace, subject.name ?? '');
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount')
    return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** A rule visitor: return false to stop. `source` describes the binding for allow reasons. */
type Visitor = (
  source: string | undefined,
  rule: PolicyRule | undefined,
  error: string | undefined,
) => boolean;

function roleRules(store: ObjectStore, binding: Binding, namespace: string): PolicyRule[] | string {
  const ref = binding.roleRef ?? {};
  if (ref.kind === 'Role') {
    const role = store.get(KEYS.roles, objectKey(namespace, ref.name ?? ''));
    return role
      ? ((role.obj.rules as PolicyRule[] | null) ?? [])
      : `role.${GROUP} ${JSON.stringify(ref.name)} not found`;
  }
  if (ref.kind === 'ClusterRole') {
    const role = store.get(KEYS.clusterRoles, ref.name ?? '');
    return role
      ? ((role.obj.rules as PolicyRule[] | null) ?? [])
      : `clusterrole.${GROUP} ${JSON.stringify(ref.name)} not found`;
  }
  return `unsupported role reference kind: ${JSON.stringify(ref.kind)}`;
}

/** Visits the bindings of one kind; false when the visitor stopped. */
function visitBindings(store: ObjectStore, user: UserInfo, namespace: string, visit: Visitor): boolean {
  const bindings =
    namespace === '' ? store.list(KEYS.clusterRoleBindings) : store.list(KEYS.roleBindings, namespace);
  for (const entry of bindings) {
    const binding = entry.obj as Binding;
    const subject = (binding.subjects ?? []).find(s => appliesToUser(user, s, namespace));
    if (!subject) continue;
    const rules = roleRules(store, binding, namespace);
    if (typeof rules === 'string') {
      if (!visit(undefined, undefined, rules)) return false;
      continue;
    }
    const ref = binding.roleRef ?? {};
    const source =
      namespace === ''
        ? `ClusterRoleBinding ${JSON.stringify(binding.metadata.name)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, '')}`
        : `RoleBinding ${JSON.stringify(`${binding.metadata.name}/${namespace}`)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, namespace)}`;
    for (const rule of rules) if (!visit(source, rule, undefined)) return false;
  }
  return true;
}

/** Visits the rules that apply to `user` in `namespace` (cluster bindings first). */
function visitRulesFor(store: ObjectStore, user: UserInfo, namespace: string, visit: Visitor): void {
  if (!visitBindings(store, user, '', visit)) return;
  if (namespace !== '') visitBindings(store, user, namespace, visit);
}

/** An aggregate of errors as Go's `utilerrors.NewAggregate` prints it. */
function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors.join('') : `[${errors.join(', ')}]`;
}

/** The RBAC decision for a request. */
export function authorizeRbac(store: ObjectStore, attrs: RequestAttributes): Decision {
  const errors: string[] = [];
  let allowedBy: string | undefined;
  visitRulesFor(store, attrs.user, attrs.namespace, (source, rule, error) => {
    if (rule && ruleAllows(attrs, rule)) {
      allowedBy = source;
      return false;
    }
    if (error) errors.push(error);
    return true;
  });
  if (allowedBy !== undefined) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '' };
}

/** The rules `user` has in `namespace`, and the errors met resolving them. */
export function rbacRulesFor(store: ObjectStore, user: UserInfo, namespace: string): RulesResult {
  const out: RulesResult = { rules: [], errors: [] };
  visitRulesFor(store, user, namespace, (_source, rule, error) => {
    if (rule) out.rules.push(rule);
    if (error) out.errors.push(error);
    return true;
  });
  return out;
}

/** Whether the user is in the privileged group that no authorizer check stops. */
export function isPrivileged(user: UserInfo): boolean {
  return user.groups.includes(SYSTEM_MASTERS);
}

/** The cluster's authorizer: the privileged group, then RBAC (kube-apiserver's `--authorization-mode=RBAC`). */
export function authorize(store: ObjectStore, attrs: RequestAttributes): Decision {
  if (isPrivileged(attrs.user)) return { allowed: true, reason: '' };
  return authorizeRbac(store, attrs);
}
