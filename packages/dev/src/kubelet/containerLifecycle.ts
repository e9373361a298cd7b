// SPDX-License-Identifier: Apache-2.0
// The life of a pod's container across its instances, as the kubelet drives it: start (failures
// shown as waiting reasons and retried with back-off: ImagePullBackOff, CreateContainerConfigError,
// RunContainerError), exit (the real exit code, then a restart as restartPolicy says: Always,
// OnFailure only after a failure, never with Never, CrashLoopBackOff between repeated deaths),
// replacement (a new image in the spec, a failed liveness probe) and a graceful stop (SIGTERM,
// then SIGKILL after the grace period).
import { rm } from 'node:fs/promises';
import { ChaosplaneError } from '@chaosplane/sdk';
import { removeContainer, signalContainer } from '../containerd/runContainer.js';
import { ImagePullError } from './containerImage.js';
import {
  serially,
  type ContainerInstance,
  type ContainerSlot,
  type KubeletState,
  type PodRecord,
  type TerminatedState,
} from './kubeletState.js';
import { terminationReason, writePodStatus } from './podStatus.js';
import { startInstance } from './startInstance.js';

/** Back-off before restart number `crashes`: at once the first time, then 10 s, 20 s … 5 min. */
export function restartBackoffMs(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(10_000 * 2 ** (crashes - 1), 300_000);
}

/** An instance that ran this long without dying resets the back-off (the kubelet's 10 minutes). */
const BACKOFF_RESET_MS = 10 * 60_000;

/** How an instance ended, for `lastState.terminated`. */
function terminatedOf(instance: ContainerInstance): TerminatedState {
  const exit = instance.exit ?? { exitCode: 137, finishedAt: new Date() };
  return {
    exitCode: exit.exitCode,
    reason: terminationReason(exit.exitCode),
    startedAt: instance.startedAt,
    finishedAt: exit.finishedAt,
    containerID: `containerd://${instance.bareId}`,
  };
}

/** The waiting reason of a failed start. */
function waitingOf(error: unknown, retrying: boolean): { reason: string; message: string } {
  const message = (error as Error).message;
  if (error instanceof ImagePullError)
    return { reason: retrying ? 'ImagePullBackOff' : error.reason, message };
  if (ChaosplaneError.isKind(error, 'invalid')) return { reason: 'CreateContainerConfigError', message };
  return { reason: 'RunContainerError', message };
}

/** Calls `work` after `delayMs` in the pod's queue, unless the pod stops first. */
function schedule(
  state: KubeletState,
  record: PodRecord,
  slot: ContainerSlot,
  delayMs: number,
  work: () => Promise<void>,
) {
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = setTimeout(() => {
    slot.timer = undefined;
    if (record.stopping || state.stop.signal.aborted) return;
    void serially(state, record.key, work);
  }, delayMs);
  slot.timer.unref();
}

/** Removes an instance from containerd (and its busybox root filesystem). */
export async function removeInstance(state: KubeletState, instance: ContainerInstance): Promise<void> {
  instance.replaced = true;
  await removeContainer(state.api, instance.bareId).catch(() => undefined);
  instance.log.close();
  if (instance.rootfsDir) await rm(instance.rootfsDir, { recursive: true, force: true });
}

/**
 * Starts a new instance of the slot from the pod's current spec. A failure becomes the slot's
 * waiting reason and is retried with back-off.
 */
export async function startSlot(state: KubeletState, record: PodRecord, slot: ContainerSlot): Promise<void> {
  if (record.stopping || state.stop.signal.aborted) return;
  const container = record.spec.containers.find(c => c.name === slot.name);
  if (!container) return;
  slot.image = container.image ?? 'busybox';
  const previous = slot.instance;
  try {
    const instance = await startInstance(state, record, slot, container);
    if (previous) await removeInstance(state, previous);
    slot.instance = instance;
    slot.waiting = undefined;
    slot.ready = container.readinessProbe === undefined;
    slot.probes = { livenessFailures: 0, readinessSuccesses: 0, readinessFailures: 0, lastRun: {} };
    void instance.exited.then(exit => {
      instance.exit = exit;
      if (!instance.replaced) void serially(state, record.key, () => onExit(state, record, slot, instance));
    });
  } catch (error) {
    if (record.stopping || state.stop.signal.aborted) return;
    const retrying = slot.waiting !== undefined && slot.crashes > 0;
    slot.waiting = waitingOf(error, retrying);
    state.log.warn('container did not start', {
      pod: record.key,
      container: slot.name,
      reason: slot.waiting.reason,
      error: slot.waiting.message,
    });
    schedule(state, record, slot, restartBackoffMs(++slot.crashes) || 1000, async () => {
      if (slot.waiting?.reason === 'ErrImagePull')
        slot.waiting = { ...slot.waiting, reason: 'ImagePullBackOff' };
      await startSlot(state, record, slot);
      await writePodStatus(state, record);
    });
  }
}

/** Whether restartPolicy restarts a container that exited with `exitCode`. */
function restarts(record: PodRecord, exitCode: number): boolean {
  const policy = record.spec.restartPolicy ?? 'Always';
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** An instance exited by itself: report it, then restart it when restartPolicy says so. */
async function onExit(
  state: KubeletState,
  record: PodRecord,
  slot: ContainerSlot,
  instance: ContainerInstance,
) {
  if (slot.instance !== instance || record.stopping) return;
  const exit = instance.exit!;
  state.log.info('container died', {
    pod: record.key,
    container: slot.name,
    exitCode: exit.exitCode,
    containerId: `containerd://${instance.bareId}`,
  });
  if (exit.finishedAt.getTime() - instance.startedAt.getTime() > BACKOFF_RESET_MS) slot.crashes = 0;
  await writePodStatus(state, record);
  if (!restarts(record, exit.exitCode)) return;
  const delay = restartBackoffMs(slot.crashes);
  if (delay > 0) {
    slot.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${slot.name} pod=${record.name}_${record.namespace}(${record.uid})`,
    };
    slot.lastTerminated = terminatedOf(instance);
    await writePodStatus(state, record);
  }
  schedule(state, record, slot, delay, () => restartSlot(state, record, slot, instance));
}

/** Replaces the instance that ended (or is being replaced) with a new one: restartCount + 1. */
async function restartSlot(
  state: KubeletState,
  record: PodRecord,
  slot: ContainerSlot,
  old: ContainerInstance,
) {
  if (slot.instance !== old) return;
  slot.crashes++;
  slot.lastTerminated = terminatedOf(old);
  slot.restartCount++;
  slot.waiting = undefined;
  await startSlot(state, record, slot);
  await writePodStatus(state, record);
  if (slot.instance !== old)
    state.log.info('container restarted', {
      pod: record.key,
      container: slot.name,
      restartCount: slot.restartCount,
      containerId: `containerd://${slot.instance!.bareId}`,
    });
}

/** Stops an instance: SIGTERM, then SIGKILL after `graceSeconds`; resolves once it exited. */
export async function stopInstance(state: KubeletState, instance: ContainerInstance, graceSeconds: number) {
  instance.replaced = true;
  if (instance.exit === undefined && graceSeconds > 0) {
    const termed = await signalContainer(state.api, instance.bareId, 'SIGTERM').catch(() => false);
    if (termed)
      await Promise.race([
        instance.exited,
        new Promise(resolve => setTimeout(resolve, graceSeconds * 1000).unref()),
      ]);
  }
  await removeInstance(state, instance);
}

/**
 * Restarts a running container on purpose (a new image in the spec, a failed liveness probe):
 * the old instance is stopped and a new one started, restartCount + 1.
 */
export async function replaceSlot(
  state: KubeletState,
  record: PodRecord,
  slot: ContainerSlot,
  why: string,
  graceSeconds: number,
) {
  const old = slot.instance;
  if (!old) return startSlot(state, record, slot);
  await stopInstance(state, old, graceSeconds);
  old.exit ??= { exitCode: 137, finishedAt: new Date() };
  slot.lastTerminated = terminatedOf(old);
  slot.restartCount++;
  slot.waiting = undefined;
  // A new image starts the back-off again; a failing probe counts as a crash.
  slot.crashes = why === 'image changed' ? 0 : slot.crashes + 1;
  await startSlot(state, record, slot);
  state.log.info(`container restarted: ${why}`, {
    pod: record.key,
    container: slot.name,
    image: slot.image,
    containerId: slot.instance ? `containerd://${slot.instance.bareId}` : undefined,
  });
  await writePodStatus(state, record);
}
