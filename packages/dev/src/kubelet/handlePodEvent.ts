// SPDX-License-Identifier: Apache-2.0
// The local kubelet's pods: what it runs (binding unscheduled pods to its node), restarts when
// an image changes, and stops, as pod events come in.
import type { ReflectorEvent } from '@chaosplane/kube';
import type { Pod } from '@chaosplane/sdk';
import { lastTerminatedOf, runningPodStatus, statusOf, writeStatuses } from './containerStatus.js';
import {
  HOST_IP,
  podKey,
  serially,
  type KubeletState,
  type PodSandbox,
  type RunningContainer,
} from './kubeletState.js';
import { restartContainer, startContainer } from './startContainer.js';

/** A running pod whose spec changed: restart each container whose image changed. */
function reconcileImages(state: KubeletState, pod: Pod): Promise<void> {
  const { running, log } = state;
  const key = podKey(pod);
  return serially(state, key, async () => {
    const containers = running.get(key);
    if (!containers || state.stop.signal.aborted) return;
    let changed = false;
    for (const [i, current] of containers.entries()) {
      const spec = pod.spec?.containers.find(c => c.name === current.name);
      if (!spec || (spec.image ?? 'busybox') === current.image) continue;
      await state.containerd.stopContainer(current.bareId).catch(() => undefined);
      containers[i] = await restartContainer(
        state,
        key,
        current,
        spec,
        lastTerminatedOf(current, new Date()),
      );
      changed = true;
      log.info('container restarted: image changed', {
        pod: key,
        container: current.name,
        image: spec.image,
        containerId: `containerd://${containers[i].bareId}`,
      });
    }
    if (changed && running.get(key) === containers) await writeStatuses(state.core, key, containers);
  });
}

/**
 * The pod's sandbox: the host's network for `hostNetwork: true` (or where CNI cannot run), else
 * its own namespace wired by CNI, held by a pause container.
 */
async function startSandbox(state: KubeletState, pod: Pod, key: string): Promise<PodSandbox> {
  if (pod.spec?.hostNetwork === true) return { network: 'host', ip: HOST_IP };
  if (state.network === undefined) return { network: 'host', ip: HOST_IP };
  const { netns, ip } = await state.network.attach(key);
  const pause = await state.containerd.createContainer({
    id: `${key.replace(/[^A-Za-z0-9_.-]/g, '-')}-pause-${Date.now().toString(36)}${(state.started++).toString(36)}`,
    argv: ['/bin/sleep', 'infinity'],
    network: { netns },
  });
  return { network: { netns }, ip, pauseId: pause.bareId };
}

/**
 * Binds an unscheduled pod to this node; runs a pod bound here (its containers, then status
 * Running); leaves pods of other nodes alone.
 */
async function startPod(state: KubeletState, pod: Pod, key: string): Promise<void> {
  const { core } = state;
  const namespace = pod.metadata.namespace!;
  const name = pod.metadata.name!;
  if (!pod.spec?.nodeName) {
    // The scheduler's job, done here: bind the pod to the only node (pods/binding, as
    // kube-scheduler does; spec.nodeName cannot be patched).
    await core.bind(namespace, name, state.nodeName);
    return; // the MODIFIED event of the binding runs it
  } else if (pod.spec.nodeName !== state.nodeName) {
    return;
  }
  const sandbox = await startSandbox(state, pod, key);
  state.sandboxes.set(key, sandbox);
  const containers: RunningContainer[] = [];
  for (const container of pod.spec?.containers ?? []) {
    containers.push(await startContainer(state, namespace, name, container));
  }
  state.running.set(key, containers);
  state.restartPolicies.set(key, (pod.spec['restartPolicy'] as string | undefined) ?? 'Always');
  const statuses = containers.map(c => statusOf(c));
  const now = new Date();
  await core.replaceStatus({
    ...(await core.read(namespace, name)),
    status: runningPodStatus(statuses, now, sandbox.ip),
  });
  state.log.info('pod running on containerd', { pod: key, containers: statuses.map(s => s.containerID) });
  // A spec change that arrived while the pod was starting.
  const latest = await core.read(namespace, name);
  if (
    latest.spec?.containers.some(
      c => containers.find(r => r.name === c.name)?.image !== (c.image ?? 'busybox'),
    )
  )
    await reconcileImages(state, latest);
}

/** Runs a pod that is not yet running here, or restarts the containers of one whose images changed. */
async function runPod(state: KubeletState, pod: Pod): Promise<void> {
  const key = podKey(pod);
  if (pod.metadata?.deletionTimestamp) return;
  if (state.running.has(key)) {
    await reconcileImages(state, pod);
    return;
  }
  if (state.starting.has(key)) return;
  state.starting.add(key);
  try {
    await startPod(state, pod, key);
  } catch (error) {
    if (!state.stop.signal.aborted)
      state.log.warn('cannot run pod', { pod: key, error: (error as Error).message });
  } finally {
    state.starting.delete(key);
  }
}

/** Stops the containers of a pod and forgets it. */
export async function stopPod(state: KubeletState, key: string): Promise<void> {
  const containers = state.running.get(key);
  if (!containers) return;
  state.running.delete(key);
  state.restartPolicies.delete(key);
  const sandbox = state.sandboxes.get(key);
  state.sandboxes.delete(key);
  await serially(state, key, async () => {
    for (const c of containers) await state.containerd.stopContainer(c.bareId).catch(() => undefined);
    if (sandbox?.pauseId) await state.containerd.stopContainer(sandbox.pauseId).catch(() => undefined);
    await state.network?.detach(key);
  });
  state.log.info('pod stopped', { pod: key });
}

/** Runs or stops what a pod event changed; a relist stops every pod no longer listed. */
export function handlePodEvent(state: KubeletState, event: ReflectorEvent<Pod>): void {
  if (event.type === 'listed') {
    const present = new Set(event.items.map(podKey));
    for (const key of [...state.running.keys()]) if (!present.has(key)) void stopPod(state, key);
    for (const pod of event.items) void runPod(state, pod);
  } else if (event.type === 'deleted' || event.object.metadata.deletionTimestamp) {
    void stopPod(state, podKey(event.object));
  } else {
    void runPod(state, event.object);
  }
}
