// SPDX-License-Identifier: Apache-2.0
// Turns a record id back into the live target: what every pod or container plugin does first.
import { ApiException, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ChaosplaneError } from '../errors/ChaosplaneError.js';

/** A pod record's target. */
export interface PodTarget {
  namespace: string;
  podName: string;
  pod: V1Pod;
}

/** A container record's target, with its runtime-prefixed id (`containerd://…`). */
export interface ContainerTarget extends PodTarget {
  containerName: string;
  containerId: string;
}

/** Splits `ns/pod` (pod records) or `ns/pod/container` (container records). */
export function parseRecordId(id: string): { namespace: string; podName: string; containerName?: string } {
  const parts = id.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some(p => p === '')) {
    throw new ChaosplaneError(
      'invalid',
      `record id ${JSON.stringify(id)} is not ns/pod or ns/pod/container`,
      {
        field: 'id',
      },
    );
  }
  const [namespace, podName, containerName] = parts as [string, string, string | undefined];
  return containerName === undefined ? { namespace, podName } : { namespace, podName, containerName };
}

const clients = new WeakMap<KubeConfig, CoreV1Api>();

function coreApi(kube: KubeConfig): CoreV1Api {
  let api = clients.get(kube);
  if (api === undefined) {
    api = kube.makeApiClient(CoreV1Api);
    clients.set(kube, api);
  }
  return api;
}

/**
 * Reads the pod of a record. A pod that no longer exists is a ChaosplaneError of kind
 * `not-found`, which the engine counts as recovered when recovering.
 */
export async function decodePodRecord(kube: KubeConfig, id: string): Promise<PodTarget> {
  const { namespace, podName } = parseRecordId(id);
  try {
    const pod = await coreApi(kube).readNamespacedPod({ name: podName, namespace });
    return { namespace, podName, pod };
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) {
      throw new ChaosplaneError('not-found', `pod ${namespace}/${podName} not found`, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads the pod of a container record and finds the container's runtime id in
 * `status.containerStatuses`. A vanished pod or a container without a running id is a
 * ChaosplaneError of kind `not-found` ("container with id … not found", as in Chaos Mesh).
 */
export async function decodeContainerRecord(kube: KubeConfig, id: string): Promise<ContainerTarget> {
  const { containerName } = parseRecordId(id);
  if (containerName === undefined) {
    throw new ChaosplaneError('invalid', `record id ${JSON.stringify(id)} names no container`, {
      field: 'id',
    });
  }
  const target = await decodePodRecord(kube, id);
  const status = target.pod.status?.containerStatuses?.find(s => s.name === containerName);
  if (!status?.containerID) {
    throw new ChaosplaneError('not-found', `container with id ${id} not found`);
  }
  return { ...target, containerName, containerId: status.containerID };
}
