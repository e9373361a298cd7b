// SPDX-License-Identifier: Apache-2.0
/** The built-in kinds the emulator serves, described once for routing, discovery and OpenAPI. */
import { authResourceTypes } from '../auth/authResourceTypes.js';
import { type KubeObject, type ResourceType, type VersionConverter } from '../types.js';

function builtin(
  partial: Pick<ResourceType, 'group' | 'kind' | 'plural' | 'namespaced'> & Partial<ResourceType>,
): ResourceType {
  const version = partial.versions?.[0] ?? 'v1';
  return {
    versions: [version],
    storageVersion: version,
    listKind: `${partial.kind}List`,
    singular: partial.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    hasStatus: false,
    hasGeneration: false,
    selectableFields: [],
    strategicMerge: true,
    allowUnconditionalUpdate: true,
    nameRule: 'subdomain',
    ...partial,
  };
}

const EVENT_FIELD_MAP: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['related', 'related'],
  ['message', 'note'],
  ['reason', 'reason'],
  ['type', 'type'],
  ['action', 'action'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
];

/**
 * core/v1 Event and events.k8s.io/v1 Event are one stored resource in the apiserver; the
 * emulator stores the core form and converts, so `kubectl describe` sees events written
 * through either API.
 */
const eventsV1Converter: VersionConverter = {
  fromStorage(obj: KubeObject): KubeObject {
    const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: obj.metadata };
    for (const [core, v1] of EVENT_FIELD_MAP) {
      const value = obj[core];
      if (value === undefined || value === null || value === '' || (core === 'count' && value === 0))
        continue;
      if (core === 'series' && typeof value === 'object') {
        const series = value as Record<string, unknown>;
        out.series = { count: series.count, lastObservedTime: series.lastObservedTime };
        continue;
      }
      out[v1] = value;
    }
    return out;
  },
  toStorage(obj: KubeObject): KubeObject {
    const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: obj.metadata };
    for (const [core, v1] of EVENT_FIELD_MAP) {
      const value = obj[v1];
      if (value !== undefined && value !== null) out[core] = value;
    }
    return out;
  },
};

/** Selectable fields of pods beyond metadata.name and metadata.namespace. */
const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

/** Selectable fields of core/v1 events. */
const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

/** Selectable fields of events.k8s.io/v1 events. */
const EVENTS_V1_FIELDS = [
  'regarding.kind',
  'regarding.namespace',
  'regarding.name',
  'regarding.uid',
  'regarding.apiVersion',
  'reason',
  'reportingController',
  'type',
];

/** The core/v1 kinds. */
function coreTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      hasStatus: true,
      selectableFields: ['status.phase'],
      nameRule: 'label',
    }),
    builtin({
      group: '',
      kind: 'Pod',
      plural: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      hasStatus: true,
      hasGeneration: true,
      selectableFields: [...POD_FIELDS],
    }),
    builtin({
      group: '',
      kind: 'Node',
      plural: 'nodes',
      namespaced: false,
      shortNames: ['no'],
      hasStatus: true,
      selectableFields: ['spec.unschedulable'],
    }),
    builtin({
      group: '',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
      selectableFields: [...EVENT_FIELDS],
    }),
    builtin({
      group: '',
      kind: 'Service',
      plural: 'services',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      hasStatus: true,
      nameRule: 'label',
      selectableFields: ['spec.clusterIP', 'spec.type'],
    }),
    builtin({
      group: '',
      kind: 'Endpoints',
      plural: 'endpoints',
      namespaced: true,
      shortNames: ['ep'],
      listKind: 'EndpointsList',
      singular: 'endpoints',
    }),
    builtin({ group: '', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
    builtin({ group: '', kind: 'Secret', plural: 'secrets', namespaced: true, selectableFields: ['type'] }),
    builtin({
      group: '',
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      shortNames: ['sa'],
    }),
  ];
}

/** The kinds of rbac.authorization.k8s.io. RBAC names are path segments (ValidateRBACName), so `system:discovery` is one. */
function rbacTypes(): ResourceType[] {
  return [
    builtin({
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      plural: 'clusterroles',
      namespaced: false,
      nameRule: 'path',
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRoleBinding',
      plural: 'clusterrolebindings',
      namespaced: false,
      nameRule: 'path',
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      kind: 'Role',
      plural: 'roles',
      namespaced: true,
      nameRule: 'path',
    }),
    builtin({
      group: 'rbac.authorization.k8s.io',
      kind: 'RoleBinding',
      plural: 'rolebindings',
      namespaced: true,
      nameRule: 'path',
    }),
  ];
}

/**
 * ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1, GA in 1.30):
 * enforced on writes by src/admission. A policy has a status (its type checking).
 */
function admissionTypes(): ResourceType[] {
  return [
    builtin({
      group: 'admissionregistration.k8s.io',
      kind: 'ValidatingAdmissionPolicy',
      plural: 'validatingadmissionpolicies',
      namespaced: false,
      categories: ['api-extensions'],
      hasStatus: true,
      hasGeneration: true,
    }),
    builtin({
      group: 'admissionregistration.k8s.io',
      kind: 'ValidatingAdmissionPolicyBinding',
      plural: 'validatingadmissionpolicybindings',
      namespaced: false,
      categories: ['api-extensions'],
      hasGeneration: true,
    }),
  ];
}

/**
 * Workloads: stored and served (so `kubectl apply -k deploy/`, `kubectl create deployment|job`
 * and `kubectl scale` work) but not acted on: no controller creates their pods.
 */
function workloadTypes(): ResourceType[] {
  return [
    builtin({
      group: 'apps',
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      hasStatus: true,
      hasGeneration: true,
    }),
    builtin({
      group: 'apps',
      kind: 'DaemonSet',
      plural: 'daemonsets',
      namespaced: true,
      shortNames: ['ds'],
      categories: ['all'],
      hasStatus: true,
      hasGeneration: true,
    }),
    builtin({
      group: 'batch',
      kind: 'Job',
      plural: 'jobs',
      namespaced: true,
      categories: ['all'],
      hasStatus: true,
      hasGeneration: true,
      selectableFields: ['status.successful'],
    }),
  ];
}

/** The kinds of named groups. */
function groupTypes(): ResourceType[] {
  return [
    builtin({
      group: 'events.k8s.io',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
      selectableFields: [...EVENTS_V1_FIELDS],
      converters: { v1: eventsV1Converter },
      storageOf: 'events',
    }),
    builtin({
      group: 'discovery.k8s.io',
      kind: 'EndpointSlice',
      plural: 'endpointslices',
      namespaced: true,
      selectableFields: [],
    }),
    builtin({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', namespaced: true }),
    // RBAC objects are what the authorizer reads (src/auth).
    ...rbacTypes(),
    ...admissionTypes(),
    builtin({
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      hasStatus: true,
      hasGeneration: true,
      strategicMerge: false,
    }),
  ];
}

/**
 * ReplicaSets (a Deployment's revisions) and ControllerRevisions (a DaemonSet's), served for the
 * dev control plane's controllers (@chaosplane/dev) and `kubectl rollout history|undo`.
 */
function revisionTypes(): ResourceType[] {
  return [
    builtin({
      group: 'apps',
      kind: 'ReplicaSet',
      plural: 'replicasets',
      namespaced: true,
      shortNames: ['rs'],
      categories: ['all'],
      hasStatus: true,
      hasGeneration: true,
    }),
    builtin({ group: 'apps', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true }),
  ];
}

/** The built-in resource types, core group first. */
export function builtinResourceTypes(): ResourceType[] {
  return [...coreTypes(), ...groupTypes(), ...workloadTypes(), ...revisionTypes(), ...authResourceTypes()];
}

/** Namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
