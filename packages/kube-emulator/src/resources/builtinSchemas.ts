// SPDX-License-Identifier: Apache-2.0
/**
 * The schemas of the built-in kinds, from kubernetes-models: for each kind a validator that
 * kubernetes-models compiled from the Kubernetes OpenAPI definitions (with the enums put back)
 * into ajv 8 standalone code. Each is loaded on the first write of its kind, so an emulator
 * pays only for the kinds it is sent. The errors are ajv's; schemaVerdict.ts reads them as
 * the apiserver would answer.
 */
import type { ErrorObject } from 'ajv';
import { type KubeObject, type ResourceType, apiVersionOf } from '../types.js';

/** A kubernetes-models class: its constructor copies the data, `validate()` throws ajv's errors. */
type ModelClass = new (data: never) => { validate(): void };

/** Loaders of the kubernetes-models class of each served built-in kind, by `apiVersion/Kind`. */
const MODELS: Record<string, () => Promise<ModelClass>> = {
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/Pod': async () => (await import('kubernetes-models/v1/Pod')).Pod,
  'v1/Node': async () => (await import('kubernetes-models/v1/Node')).Node,
  'v1/Event': async () => (await import('kubernetes-models/v1/Event')).Event,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/Endpoints': async () => (await import('kubernetes-models/v1/Endpoints')).Endpoints,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'v1/ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'events.k8s.io/v1/Event': async () => (await import('kubernetes-models/events.k8s.io/v1/Event')).Event,
  'discovery.k8s.io/v1/EndpointSlice': async () =>
    (await import('kubernetes-models/discovery.k8s.io/v1/EndpointSlice')).EndpointSlice,
  'coordination.k8s.io/v1/Lease': async () =>
    (await import('kubernetes-models/coordination.k8s.io/v1/Lease')).Lease,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'apps/v1/DaemonSet': async () => (await import('kubernetes-models/apps/v1/DaemonSet')).DaemonSet,
  'apps/v1/ReplicaSet': async () => (await import('kubernetes-models/apps/v1/ReplicaSet')).ReplicaSet,
  'apps/v1/ControllerRevision': async () =>
    (await import('kubernetes-models/apps/v1/ControllerRevision')).ControllerRevision,
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job,
  'rbac.authorization.k8s.io/v1/ClusterRole': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole')).ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding')).ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': async () =>
    (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': async () =>
    (await import('kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy'))
      .ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': async () =>
    (await import('kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding'))
      .ValidatingAdmissionPolicyBinding,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': async () =>
    (await import('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition'))
      .CustomResourceDefinition,
};

/** Checks an object (in its served version) against its kind's schema; ajv's errors, or none. */
export type SchemaCheck = (obj: KubeObject) => ErrorObject[];

const loaded = new Map<string, Promise<SchemaCheck | undefined>>();

async function load(key: string): Promise<SchemaCheck | undefined> {
  const loader = MODELS[key];
  if (!loader) return undefined;
  const Model = await loader();
  return obj => {
    try {
      new Model(obj as never).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: unknown }).errors;
      if (Array.isArray(errors)) return errors as ErrorObject[];
      throw error;
    }
  };
}

/** The schema check of a built-in kind in a version (undefined for custom resources). */
export function builtinSchema(type: ResourceType, version: string): Promise<SchemaCheck | undefined> {
  if (type.crd) return Promise.resolve(undefined);
  const key = `${apiVersionOf(type.group, version)}/${type.kind}`;
  let check = loaded.get(key);
  if (!check) loaded.set(key, (check = load(key)));
  return check;
}
