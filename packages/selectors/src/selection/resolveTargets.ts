// SPDX-License-Identifier: Apache-2.0
// Reads a stored pod or container target back from the API server before an apply or recover:
// what every pod or container plugin needs first, done once here instead of in each plugin.
import {
  ChaosplaneError,
  type ContainerTarget,
  type KubeClient,
  type Pod,
  type PodTarget,
  type SelectedTarget,
} from '@chaosplane/sdk';

/** Splits `ns/pod` (pod records) or `ns/pod/container` (container records). */
export function parseRecordId(id: string): { namespace: string; podName: string; containerName?: string } {
  const parts = id.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some(part => part === '')) {
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

/**
 * Reads the pod of a record (a fresh GET: a container's runtime id changes when it restarts).
 * A pod that no longer exists is a ChaosplaneError of kind `not-found`, which the engine counts
 * as recovered when recovering.
 */
export async function resolvePodTarget(
  kube: KubeClient,
  target: SelectedTarget,
  signal: AbortSignal,
): Promise<PodTarget> {
  const { namespace, podName } = parseRecordId(target.id);
  let pod: Pod;
  try {
    pod = await kube.request<Pod>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(podName)}`,
      { signal },
    );
  } catch (error) {
    if (ChaosplaneError.isKind(error, 'not-found'))
      throw new ChaosplaneError('not-found', `pod ${namespace}/${podName} not found`, { cause: error });
    throw error;
  }
  return {
    kind: 'pod',
    id: target.id,
    ...(target.instanceId !== undefined ? { instanceId: target.instanceId } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    namespace,
    podName,
    pod,
  };
}

/**
 * Reads the pod of a container record and finds the container's runtime id in
 * `status.containerStatuses`. A vanished pod, or a container without a running id, is a
 * ChaosplaneError of kind `not-found` ("container with id … not found", as in Chaos Mesh).
 */
export async function resolveContainerTarget(
  kube: KubeClient,
  target: SelectedTarget,
  signal: AbortSignal,
): Promise<ContainerTarget> {
  const { containerName } = parseRecordId(target.id);
  if (containerName === undefined) {
    throw new ChaosplaneError('invalid', `record id ${JSON.stringify(target.id)} names no container`, {
      field: 'id',
    });
  }
  const podTarget = await resolvePodTarget(kube, target, signal);
  const status = podTarget.pod.status?.containerStatuses?.find(s => s.name === containerName);
  if (!status?.containerID)
    throw new ChaosplaneError('not-found', `container with id ${target.id} not found`);
  return { ...podTarget, kind: 'container', containerName, containerId: status.containerID };
}
