// SPDX-License-Identifier: Apache-2.0
// How the local kubelet reports a pod's containers in its status: running, or terminated when
// their task died, with the previous instance in `lastState`.
import { ChaosplaneError } from '@chaosplane/sdk';
import type { PodApi } from '../podApi.js';
import { HOST_IP, type RunningContainer } from './kubeletState.js';
import { isPauseImage } from './startContainer.js';

/**
 * The exit code reported for a dead task. containerd's task list does not show exit statuses,
 * so this kubelet reports what a SIGKILL (container-kill) gives: 128 + 9.
 */
const DEAD_TASK_EXIT_CODE = 137;

/** A pod condition as the kubelet writes it. */
interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: Date | string;
}

/** How a container's instance ended at `finishedAt`, as its successor's `lastState` shows it. */
export function lastTerminatedOf(
  container: RunningContainer,
  finishedAt: Date,
): NonNullable<RunningContainer['lastTerminated']> {
  return {
    exitCode: DEAD_TASK_EXIT_CODE,
    reason: 'Error',
    finishedAt,
    containerID: `containerd://${container.bareId}`,
  };
}

/** A container's entry of `status.containerStatuses`: running, or terminated since its task died. */
export function statusOf(c: RunningContainer) {
  const terminated = c.deadSince
    ? { exitCode: DEAD_TASK_EXIT_CODE, reason: 'Error', finishedAt: c.deadSince }
    : undefined;
  return {
    name: c.name,
    image: c.image,
    imageID: isPauseImage(c.image) ? 'busybox-static (pause)' : 'busybox-static',
    containerID: `containerd://${c.bareId}`,
    ready: terminated === undefined,
    started: terminated === undefined,
    restartCount: c.restartCount,
    state: terminated
      ? { terminated: { ...terminated, startedAt: c.startedAt, containerID: `containerd://${c.bareId}` } }
      : { running: { startedAt: c.startedAt } },
    ...(c.lastTerminated
      ? { lastState: { terminated: { ...c.lastTerminated, startedAt: c.startedAt } } }
      : {}),
  };
}

/** The status of a pod whose containers all started at `now`, at address `podIP`. */
export function runningPodStatus(statuses: ReturnType<typeof statusOf>[], now: Date, podIP: string) {
  return {
    phase: 'Running',
    hostIP: HOST_IP,
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: now,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
    ],
    containerStatuses: statuses,
  };
}

/** Writes the containers' statuses (dead ones as terminated), retrying on conflicts. */
export async function writeStatuses(
  core: PodApi,
  key: string,
  containers: RunningContainer[],
): Promise<void> {
  const [namespace, name] = key.split('/') as [string, string];
  for (let attempt = 0; ; attempt++) {
    const pod = await core.read(namespace, name);
    const statuses = containers.map(c => statusOf(c));
    const ready = containers.every(c => c.deadSince === undefined) ? 'True' : 'False';
    const now = new Date();
    const conditions = ((pod.status?.['conditions'] ?? []) as PodCondition[]).map(condition =>
      (condition.type === 'Ready' || condition.type === 'ContainersReady') && condition.status !== ready
        ? { ...condition, status: ready, lastTransitionTime: now }
        : condition,
    );
    try {
      await core.replaceStatus({
        ...pod,
        status: { ...pod.status, conditions, containerStatuses: statuses },
      });
      return;
    } catch (error) {
      if (!ChaosplaneError.isKind(error, 'conflict') || attempt >= 5) throw error;
    }
  }
}
