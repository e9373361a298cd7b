// SPDX-License-Identifier: Apache-2.0
// Pods made and removed by a controller (controller.PodControl): a pod from a template, named
// `<owner>-` plus the server's random suffix, owned by the controller; deletions by name. Each
// is recorded as the Event kube-controller-manager writes (SuccessfulCreate, FailedCreate,
// SuccessfulDelete, FailedDelete).
import { isNotFound, resourcePath, PODS, type KubeConnection } from '@chaosplane/kube';
import type { ControllerEvents, EventTarget } from './controllerContext.js';
import type { OwnerReference, Pod, PodTemplateSpec } from './objects.js';

/** A pod to create: its owner's template, with what the controller adds. */
export interface PodFromTemplate {
  namespace: string;
  template: PodTemplateSpec;
  /** The owning controller: Events go to it, the pod is named after it. */
  owner: EventTarget;
  ownerRef: OwnerReference;
}

/** The pod a template makes (GetPodFromTemplate): its labels, annotations, finalizers and spec. */
export function podFromTemplate(input: PodFromTemplate): Pod {
  const { template } = input;
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${input.owner.metadata.name}-`,
      namespace: input.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [input.ownerRef],
    },
    spec: structuredClone(template.spec),
  } as unknown as Pod;
}

/** Creates one pod from a template; the Event says what happened. Rejects on failure. */
export async function createPod(
  kube: KubeConnection,
  events: ControllerEvents,
  input: PodFromTemplate,
  signal: AbortSignal,
): Promise<Pod> {
  try {
    const pod = await kube.request<Pod>('POST', resourcePath(PODS, input.namespace), {
      body: podFromTemplate(input),
      signal,
    });
    events.emit(input.owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    return pod;
  } catch (error) {
    if (!signal.aborted)
      events.emit(input.owner, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
    throw error;
  }
}

/** Deletes one pod; one already gone counts as deleted. Rejects on other failures. */
export async function deletePod(
  kube: KubeConnection,
  events: ControllerEvents,
  owner: EventTarget,
  pod: Pod,
  signal: AbortSignal,
): Promise<void> {
  const { namespace, name } = pod.metadata;
  try {
    await kube.request('DELETE', resourcePath(PODS, namespace, name), { signal });
    events.emit(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  } catch (error) {
    if (isNotFound(error)) return;
    if (!signal.aborted)
      events.emit(owner, 'Warning', 'FailedDelete', `Error deleting: ${(error as Error).message}`);
    throw error;
  }
}
