// SPDX-License-Identifier: Apache-2.0
// The local kubelet's liveness check: a container whose task died is reported terminated, then
// restarted as its pod's restartPolicy says, with CrashLoopBackOff between repeated deaths.
import { readFile } from 'node:fs/promises';
import { lastTerminatedOf, writeStatuses } from './containerStatus.js';
import { serially, type KubeletState, type RunningContainer } from './kubeletState.js';
import { restartContainer } from './startContainer.js';

/** CrashLoopBackOff: the first restart at once, then 10 s, 20 s, … up to 5 minutes. */
function crashBackoffMs(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(10_000 * 2 ** (crashes - 1), 300_000);
}

/** True while the process exists and is not a zombie. */
async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when a container dead since `deadSince` is to be restarted now: not Never, backoff over. */
function restartDue(state: KubeletState, key: string, crashes: number, deadSince: Date): boolean {
  if (state.restartPolicies.get(key) === 'Never') return false;
  return Date.now() - deadSince.getTime() >= crashBackoffMs(crashes);
}

/**
 * Reports a container whose task died as terminated (once), then, when its restart is due,
 * replaces it with a new instance from the pod's current spec.
 */
async function handleDeadContainer(
  state: KubeletState,
  key: string,
  containers: RunningContainer[],
  current: RunningContainer,
): Promise<void> {
  const { running, log } = state;
  const index = running.get(key)?.indexOf(current) ?? -1;
  if (index < 0 || state.stop.signal.aborted) return; // stopped or already restarted meanwhile
  if (current.deadSince === undefined) {
    current.deadSince = new Date();
    log.info('container died', {
      pod: key,
      container: current.name,
      containerId: `containerd://${current.bareId}`,
    });
    await writeStatuses(state.core, key, containers);
  }
  if (!restartDue(state, key, current.crashes, current.deadSince)) return;
  const [namespace, name] = key.split('/') as [string, string];
  const pod = await state.core.read(namespace, name);
  const spec = pod.spec?.containers.find(c => c.name === current.name) ?? {
    name: current.name,
    image: current.image,
  };
  const next = await restartContainer(
    state,
    key,
    current,
    spec,
    lastTerminatedOf(current, current.deadSince),
  );
  next.crashes = current.crashes + 1;
  if (running.get(key) !== containers) {
    await state.containerd.stopContainer(next.bareId).catch(() => undefined);
    return;
  }
  containers[index] = next;
  await writeStatuses(state.core, key, containers);
  log.info('container restarted: task died', {
    pod: key,
    container: current.name,
    containerId: `containerd://${next.bareId}`,
    restartCount: next.restartCount,
  });
}

/**
 * Finds containers whose task died: reports them `terminated`, then restarts them as
 * restartPolicy Always (and OnFailure: the exit status is unknown here) would, with
 * CrashLoopBackOff between repeated deaths. restartPolicy Never leaves them terminated.
 */
export async function checkLiveness(state: KubeletState): Promise<void> {
  for (const [key, containers] of state.running) {
    for (const current of containers) {
      if (current.deadSince === undefined && (await processAlive(current.pid))) continue;
      if (current.deadSince !== undefined && !restartDue(state, key, current.crashes, current.deadSince))
        continue;
      await serially(state, key, () => handleDeadContainer(state, key, containers, current));
    }
  }
}
