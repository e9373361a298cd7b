// SPDX-License-Identifier: Apache-2.0
/**
 * Field names of the built-in kinds, for the apiserver's unknown-field handling: with
 * `fieldValidation=Strict` (what kubectl sends) an unknown field is a 400, otherwise it is
 * dropped. The emulator knows the top level of every served kind, ObjectMeta, the pod spec and
 * containers (where typos hurt most); deeper levels are kept as sent.
 */
import { type JsonObject, type KubeObject, type ResourceType, isMap } from '../types.js';

const TYPE_META = ['apiVersion', 'kind', 'metadata'];

const OBJECT_META = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const TOP_LEVEL: Record<string, string[]> = {
  '/namespaces': ['spec', 'status'],
  '/pods': ['spec', 'status'],
  '/nodes': ['spec', 'status'],
  '/services': ['spec', 'status'],
  '/events': [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  '/endpoints': ['subsets'],
  '/configmaps': ['data', 'binaryData', 'immutable'],
  '/secrets': ['data', 'stringData', 'type', 'immutable'],
  '/serviceaccounts': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  'events.k8s.io/events': [
    'eventTime',
    'series',
    'reportingController',
    'reportingInstance',
    'action',
    'reason',
    'regarding',
    'related',
    'note',
    'type',
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
  ],
  'discovery.k8s.io/endpointslices': ['addressType', 'endpoints', 'ports'],
  'coordination.k8s.io/leases': ['spec'],
  'apps/deployments': ['spec', 'status'],
  'apps/daemonsets': ['spec', 'status'],
  'apps/replicasets': ['spec', 'status'],
  'apps/controllerrevisions': ['data', 'revision'],
  'batch/jobs': ['spec', 'status'],
  'rbac.authorization.k8s.io/clusterroles': ['rules', 'aggregationRule'],
  'rbac.authorization.k8s.io/clusterrolebindings': ['roleRef', 'subjects'],
  'rbac.authorization.k8s.io/roles': ['rules'],
  'rbac.authorization.k8s.io/rolebindings': ['roleRef', 'subjects'],
  'apiextensions.k8s.io/customresourcedefinitions': ['spec', 'status'],
  'admissionregistration.k8s.io/validatingadmissionpolicies': ['spec', 'status'],
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': ['spec'],
};

const POD_SPEC = new Set([
  'volumes',
  'initContainers',
  'containers',
  'ephemeralContainers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'nodeSelector',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'nodeName',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'shareProcessNamespace',
  'securityContext',
  'imagePullSecrets',
  'hostname',
  'subdomain',
  'affinity',
  'schedulerName',
  'tolerations',
  'hostAliases',
  'priorityClassName',
  'priority',
  'dnsConfig',
  'readinessGates',
  'runtimeClassName',
  'enableServiceLinks',
  'preemptionPolicy',
  'overhead',
  'topologySpreadConstraints',
  'setHostnameAsFQDN',
  'os',
  'hostUsers',
  'schedulingGates',
  'resourceClaims',
  'resources',
]);

const CONTAINER = new Set([
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);

const EPHEMERAL_CONTAINER = new Set([...CONTAINER, 'targetContainerName']);

/** Removes unknown fields; returns their paths (`spec.containers[0].imagee`). */
function sweep(obj: JsonObject, known: Set<string>, path: string, found: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      found.push(path === '' ? key : `${path}.${key}`);
      delete obj[key];
    }
  }
}

/**
 * Drops unknown fields of a built-in object in place and returns their paths, in the order
 * the apiserver reports them. Custom resources are handled by their schema instead.
 */
export function dropUnknownBuiltinFields(obj: KubeObject, type: ResourceType): string[] {
  const found: string[] = [];
  if (type.crd) {
    if (isMap(obj.metadata)) sweep(obj.metadata, OBJECT_META, 'metadata', found);
    return found;
  }
  const top = TOP_LEVEL[`${type.group}/${type.plural}`];
  if (!top) return [];
  sweep(obj, new Set([...TYPE_META, ...top]), '', found);
  if (isMap(obj.metadata)) sweep(obj.metadata, OBJECT_META, 'metadata', found);
  if (type.group === '' && type.plural === 'pods' && isMap(obj.spec)) {
    const spec = obj.spec;
    sweep(spec, POD_SPEC, 'spec', found);
    for (const [list, known] of [
      ['containers', CONTAINER],
      ['initContainers', CONTAINER],
      ['ephemeralContainers', EPHEMERAL_CONTAINER],
    ] as const) {
      const containers = spec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        if (isMap(c)) sweep(c, known, `spec.${list}[${i}]`, found);
      });
    }
  }
  return found;
}
