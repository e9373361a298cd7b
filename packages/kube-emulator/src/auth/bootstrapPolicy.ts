// SPDX-License-Identifier: Apache-2.0
/**
 * The default ClusterRoles and ClusterRoleBindings of a cluster that matter to the emulator's
 * users, with the rules of Kubernetes' RBAC bootstrap policy: discovery and health for every
 * authenticated user (system:discovery, system:basic-user for access reviews,
 * system:public-info-viewer also for anonymous requests), cluster-admin for system:masters, the
 * user-facing admin/edit/view roles (aggregated from system:aggregate-to-*), auth-delegator and
 * the service-account issuer discovery role. Created at start when absent, labelled
 * `kubernetes.io/bootstrapping: rbac-defaults`, as the apiserver's post-start hook does.
 */
import { type ApiCore } from '../api/apiCore.js';
import { type PolicyRule } from './policyRules.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL = [...WRITE.slice(0, 3), 'get', 'list', 'patch', 'update', 'watch'];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ nonResourceURLs, verbs });

const AGGREGATE_TO_VIEW: PolicyRule[] = [
  rule(
    READ,
    [''],
    [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
    ],
  ),
  rule(
    READ,
    [''],
    [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
  ),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(
    READ,
    ['apps'],
    [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
  ),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const AGGREGATE_TO_EDIT: PolicyRule[] = [
  rule(
    READ,
    [''],
    ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
  ),
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction']),
  rule(
    WRITE,
    [''],
    [
      'configmaps',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
  ),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(
    WRITE,
    ['apps'],
    [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
  ),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(ALL, ['coordination.k8s.io'], ['leases']),
];

const AGGREGATE_TO_ADMIN: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(ALL, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

interface DefaultRole {
  name: string;
  rules?: PolicyRule[];
  labels?: Record<string, string>;
  aggregateFrom?: string;
}

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

const ROLES: DefaultRole[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  { name: 'admin', aggregateFrom: 'admin' },
  { name: 'edit', aggregateFrom: 'edit', labels: { [`${AGG}admin`]: 'true' } },
  { name: 'view', aggregateFrom: 'view', labels: { [`${AGG}edit`]: 'true' } },
  { name: 'system:aggregate-to-admin', rules: AGGREGATE_TO_ADMIN, labels: { [`${AGG}admin`]: 'true' } },
  { name: 'system:aggregate-to-edit', rules: AGGREGATE_TO_EDIT, labels: { [`${AGG}edit`]: 'true' } },
  { name: 'system:aggregate-to-view', rules: AGGREGATE_TO_VIEW, labels: { [`${AGG}view`]: 'true' } },
  {
    name: 'system:discovery',
    rules: [
      urls(
        ['get'],
        [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      ),
    ],
  },
  {
    name: 'system:basic-user',
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  {
    name: 'system:public-info-viewer',
    rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
  },
  {
    name: 'system:auth-delegator',
    rules: [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ],
  },
  {
    name: 'system:service-account-issuer-discovery',
    rules: [
      urls(
        ['get'],
        [
          '/.well-known/openid-configuration',
          '/.well-known/openid-configuration/',
          '/openid/v1/jwks',
          '/openid/v1/jwks/',
        ],
      ),
    ],
  },
];

const BINDINGS: Array<{ name: string; groups: string[] }> = [
  { name: 'cluster-admin', groups: ['system:masters'] },
  { name: 'system:discovery', groups: ['system:authenticated'] },
  { name: 'system:basic-user', groups: ['system:authenticated'] },
  { name: 'system:public-info-viewer', groups: ['system:authenticated', 'system:unauthenticated'] },
  { name: 'system:service-account-issuer-discovery', groups: ['system:serviceaccounts'] },
];

const META = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

/** The default ClusterRoles, as objects to create. */
export function defaultClusterRoles(): object[] {
  return ROLES.map(r => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: META(r.name, r.labels),
    ...(r.aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: [{ matchLabels: { [`${AGG}${r.aggregateFrom}`]: 'true' } }],
          },
        }
      : {}),
    rules: r.rules ?? [],
  }));
}

/** The default ClusterRoleBindings, as objects to create. */
export function defaultClusterRoleBindings(): object[] {
  return BINDINGS.map(b => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: META(b.name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.name },
    subjects: b.groups.map(name => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
  }));
}

/** Creates the default roles and bindings that are missing (an existing one is left as it is). */
export async function ensureBootstrapPolicy(api: ApiCore): Promise<void> {
  const kinds: Array<[string, object[]]> = [
    ['clusterroles', defaultClusterRoles()],
    ['clusterrolebindings', defaultClusterRoleBindings()],
  ];
  for (const [plural, objects] of kinds) {
    const type = api.registry.lookup('rbac.authorization.k8s.io', 'v1', plural)!;
    for (const obj of objects) {
      const name = (obj as { metadata: { name: string } }).metadata.name;
      if (api.store.get(api.registry.storageKey(type), name)) continue;
      await api.create({ type, version: 'v1' }, obj, {});
    }
  }
}
