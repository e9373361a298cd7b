// SPDX-License-Identifier: Apache-2.0
// A pod's status as the kubelet reports it: the phase, the conditions (Ready follows the readiness
// of every container), the node's and the pod's IPs, and one containerStatus per container:
// waiting (with the reason: ErrImagePull, ImagePullBackOff, CrashLoopBackOff…), running or
// terminated, with the previous instance in `lastState`, the restart count and the ids.
import { ChaosplaneError } from '@chaosplane/sdk';
import { HOST_IP, type ContainerSlot, type PodRecord, type KubeletState } from './kubeletState.js';

/** A pod condition as the kubelet writes it. */
interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: Date | string;
  reason?: string;
}

/** The reason a terminated instance shows: Completed for exit 0, else Error. */
export function terminationReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** One entry of `status.containerStatuses`. */
export function containerStatusOf(slot: ContainerSlot) {
  const instance = slot.instance;
  const containerID = instance ? `containerd://${instance.bareId}` : slot.lastTerminated?.containerID;
  let state: Record<string, unknown>;
  if (slot.waiting) {
    state = {
      waiting: {
        reason: slot.waiting.reason,
        ...(slot.waiting.message ? { message: slot.waiting.message } : {}),
      },
    };
  } else if (instance?.exit) {
    state = {
      terminated: {
        exitCode: instance.exit.exitCode,
        reason: terminationReason(instance.exit.exitCode),
        startedAt: instance.startedAt,
        finishedAt: instance.exit.finishedAt,
        containerID,
      },
    };
  } else if (instance) {
    state = { running: { startedAt: instance.startedAt } };
  } else {
    state = { waiting: { reason: 'ContainerCreating' } };
  }
  const running = instance !== undefined && instance.exit === undefined && !slot.waiting;
  return {
    name: slot.name,
    image: slot.image,
    imageID: instance?.imageId ?? '',
    ...(containerID ? { containerID } : {}),
    ready: running && slot.ready,
    started: running,
    restartCount: slot.restartCount,
    state,
    ...(slot.lastTerminated ? { lastState: { terminated: slot.lastTerminated } } : {}),
  };
}

/** Pending until every container started once; Succeeded or Failed once all ended for good. */
export function podPhaseOf(record: PodRecord): string {
  const policy = record.spec.restartPolicy ?? 'Always';
  const { slots } = record;
  if (slots.some(s => s.instance === undefined && s.lastTerminated === undefined)) return 'Pending';
  const ended = (s: ContainerSlot) => s.instance?.exit !== undefined && s.timer === undefined && !s.waiting;
  if (policy !== 'Always' && slots.every(ended)) {
    return slots.every(s => s.instance!.exit!.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  return 'Running';
}

/** The conditions, keeping each one's lastTransitionTime while its status stays. */
function conditionsOf(record: PodRecord, previous: PodCondition[], now: Date): PodCondition[] {
  const ready = record.slots.every(s => containerStatusOf(s).ready) ? 'True' : 'False';
  const wanted: PodCondition[] = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: 'True' },
    {
      type: 'ContainersReady',
      status: ready,
      ...(ready === 'False' ? { reason: 'ContainersNotReady' } : {}),
    },
    { type: 'Ready', status: ready, ...(ready === 'False' ? { reason: 'ContainersNotReady' } : {}) },
  ];
  return wanted.map(c => {
    const before = previous.find(p => p.type === c.type);
    return {
      ...c,
      lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime! : now,
    };
  });
}

/** The pod's whole status. */
export function podStatusOf(record: PodRecord, previous: PodCondition[], now: Date) {
  return {
    phase: podPhaseOf(record),
    hostIP: HOST_IP,
    hostIPs: [{ ip: HOST_IP }],
    podIP: record.sandbox.ip,
    podIPs: [{ ip: record.sandbox.ip }],
    startTime: record.startTime,
    conditions: conditionsOf(record, previous, now),
    containerStatuses: record.slots.map(containerStatusOf),
  };
}

/** Writes the pod's status, retrying on conflicts; a pod already gone is left alone. */
export async function writePodStatus(state: KubeletState, record: PodRecord): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (record.stopping || state.stop.signal.aborted) return;
    let pod;
    try {
      pod = await state.core.read(record.namespace, record.name);
    } catch (error) {
      if (ChaosplaneError.isKind(error, 'not-found')) return;
      throw error;
    }
    if (pod.metadata.uid !== record.uid) return;
    const previous = (pod.status?.['conditions'] ?? []) as PodCondition[];
    try {
      await state.core.replaceStatus({ ...pod, status: podStatusOf(record, previous, new Date()) });
      return;
    } catch (error) {
      if (!ChaosplaneError.isKind(error, 'conflict') || attempt >= 5) throw error;
    }
  }
}
