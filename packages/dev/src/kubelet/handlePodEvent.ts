// SPDX-License-Identifier: Apache-2.0
// The local kubelet's pods: what it runs (binding unscheduled pods to its node), what it changes
// when a pod's spec changes (a container whose image changed is restarted), and what it stops
// (gracefully, in the background, when a pod is deleted), as pod events come in.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ReflectorEvent } from '@chaosplane/kube';
import type { Pod } from '@chaosplane/sdk';
import { removeContainer, runContainer } from '../containerd/runContainer.js';
import { createBusyboxRootfs } from '../harness/busyboxRootfs.js';
import { replaceSlot, startSlot, stopInstance } from './containerLifecycle.js';
import {
  HOST_IP,
  podKey,
  serially,
  type KubeletState,
  type PodRecord,
  type PodSandbox,
} from './kubeletState.js';
import { buildOciSpec } from './ociSpec.js';
import type { PodSpec } from './podSpecTypes.js';
import { writePodStatus } from './podStatus.js';
import { setUpVolumes } from './podVolumes.js';

/** The pause container's id prefix: the sandbox of a pod. */
async function startPause(state: KubeletState, key: string, netns: string): Promise<string> {
  const id = `${key.replace(/[^A-Za-z0-9_.-]/g, '-')}-pause-${Date.now().toString(36)}${(state.started++).toString(36)}`;
  const rootfs = await createBusyboxRootfs(path.join(state.dirs.rootfs, id));
  const defaults = (state.baseSpec['process'] as { capabilities: { bounding: string[] } }).capabilities
    .bounding;
  await runContainer(state.api, {
    id,
    rootfs: { kind: 'dir', path: rootfs },
    fifoParent: state.dirs.fifos,
    output: () => undefined,
    spec: () =>
      buildOciSpec(state.baseSpec, {
        argv: ['/bin/sleep', 'infinity'],
        env: ['PATH=/bin'],
        cwd: '/',
        hostname: key.split('/')[1]!,
        network: { netns },
        hostPID: false,
        hostIPC: false,
        mounts: [],
        security: {
          uid: 0,
          gid: 0,
          additionalGids: [],
          capabilities: defaults,
          privileged: false,
          readOnlyRoot: false,
          noNewPrivileges: true,
        },
        cgroupsPath: `/${state.api.namespace}/${id}`,
      }),
    signal: state.stop.signal,
  });
  return id;
}

/**
 * The pod's sandbox: the host's network for `hostNetwork: true` (or where CNI cannot run), else
 * its own namespace wired by CNI, held by a pause container.
 */
async function startSandbox(state: KubeletState, pod: Pod, key: string): Promise<PodSandbox> {
  if (pod.spec?.hostNetwork === true || state.network === undefined) return { network: 'host', ip: HOST_IP };
  // Keyed by the pod's uid too: a pod deleted and created again under its name gets a new network.
  const networkKey = `${key}/${pod.metadata.uid ?? ''}`;
  const { netns, ip } = await state.network.attach(networkKey);
  const pauseId = await startPause(state, key, netns);
  return { network: { netns }, ip, pauseId, networkKey };
}

/** Binds an unscheduled pod to this node; runs a pod bound here; leaves pods of other nodes alone. */
async function startPod(state: KubeletState, given: Pod, key: string): Promise<void> {
  const namespace = given.metadata.namespace!;
  const name = given.metadata.name!;
  let pod = given;
  if (!pod.spec?.nodeName) {
    // The scheduler's job, done here: bind the pod to the only node (pods/binding, as
    // kube-scheduler does; spec.nodeName cannot be patched), then run it.
    await state.core.bind(namespace, name, state.nodeName);
    pod = await state.core.read(namespace, name);
  }
  if (pod.spec?.nodeName !== state.nodeName || pod.metadata.uid !== given.metadata.uid) return;
  const spec = pod.spec as unknown as PodSpec;
  const uid = pod.metadata.uid ?? '';
  const dir = path.join(state.dirs.pods, uid || key.replace('/', '_'));
  await mkdir(dir, { recursive: true });
  const record: PodRecord = {
    key,
    namespace,
    name,
    uid,
    pod,
    spec,
    sandbox: await startSandbox(state, pod, key),
    dir,
    volumes: new Map(),
    slots: spec.containers.map(c => ({
      name: c.name,
      image: c.image ?? 'busybox',
      restartCount: 0,
      crashes: 0,
      ready: false,
      probes: { livenessFailures: 0, readinessSuccesses: 0, readinessFailures: 0, lastRun: {} },
    })),
    startTime: new Date(),
    stopping: false,
  };
  state.pods.set(key, record);
  try {
    await setUpVolumes(state, record);
  } catch (error) {
    for (const slot of record.slots)
      slot.waiting = {
        reason: 'ContainerCreating',
        message: `MountVolume.SetUp failed: ${(error as Error).message}`,
      };
    await writePodStatus(state, record);
    throw error;
  }
  for (const slot of record.slots) await startSlot(state, record, slot);
  await writePodStatus(state, record);
  state.log.info('pod running on containerd', {
    pod: key,
    containers: record.slots.map(s => (s.instance ? `containerd://${s.instance.bareId}` : s.waiting?.reason)),
  });
}

/** A running pod whose spec changed: restart each container whose image changed. */
function reconcile(state: KubeletState, pod: Pod): Promise<void> {
  const key = podKey(pod);
  return serially(state, key, async () => {
    const record = state.pods.get(key);
    if (!record || record.stopping || record.uid !== (pod.metadata.uid ?? '')) return;
    record.pod = pod;
    record.spec = pod.spec as unknown as PodSpec;
    for (const slot of record.slots) {
      const image = record.spec.containers.find(c => c.name === slot.name)?.image ?? 'busybox';
      if (image === slot.image) continue;
      await replaceSlot(state, record, slot, 'image changed', 0);
    }
  });
}

/** Runs a pod that is not yet running here, or reconciles one that is. */
async function runPod(state: KubeletState, pod: Pod): Promise<void> {
  const key = podKey(pod);
  if (pod.metadata?.deletionTimestamp) return;
  const running = state.pods.get(key);
  if (running && running.uid !== (pod.metadata.uid ?? '')) await stopPod(state, key, 0);
  if (state.pods.has(key)) return reconcile(state, pod);
  if (state.starting.has(key)) return;
  state.starting.add(key);
  try {
    await startPod(state, pod, key);
    // A spec change that arrived while the pod was starting.
    const latest = await state.core.read(pod.metadata.namespace!, pod.metadata.name!).catch(() => undefined);
    if (latest && latest.metadata.uid === pod.metadata.uid) await reconcile(state, latest);
  } catch (error) {
    if (!state.stop.signal.aborted)
      state.log.warn('cannot run pod', { pod: key, error: (error as Error).message });
  } finally {
    state.starting.delete(key);
  }
}

/** The grace of a pod already removed from the API (the kubelet's minimumGracePeriodInSeconds). */
const FORCE_DELETION_GRACE_SECONDS = 2;

/**
 * Stops a pod's containers (SIGTERM, SIGKILL after `graceSeconds`, all at once as the kubelet
 * does), its sandbox and network, and removes its directory.
 */
export async function stopPod(state: KubeletState, key: string, graceSeconds?: number): Promise<void> {
  const record = state.pods.get(key);
  if (!record) return;
  state.pods.delete(key);
  record.stopping = true;
  const grace = graceSeconds ?? record.spec.terminationGracePeriodSeconds ?? 30;
  await Promise.all(
    record.slots.map(async slot => {
      if (slot.timer) clearTimeout(slot.timer);
      if (slot.instance) await stopInstance(state, slot.instance, grace);
    }),
  );
  const { sandbox } = record;
  if (sandbox.pauseId) {
    await removeContainer(state.api, sandbox.pauseId).catch(() => undefined);
    await rm(path.join(state.dirs.rootfs, sandbox.pauseId), { recursive: true, force: true });
  }
  if (sandbox.networkKey) await state.network?.detach(sandbox.networkKey);
  await rm(record.dir, { recursive: true, force: true });
  state.log.info('pod stopped', { pod: key });
}

/** Runs or stops what a pod event changed; a relist stops every pod no longer listed. */
export function handlePodEvent(state: KubeletState, event: ReflectorEvent<Pod>): void {
  if (event.type === 'listed') {
    const present = new Set(event.items.map(p => `${podKey(p)}#${p.metadata.uid ?? ''}`));
    for (const [key, record] of [...state.pods])
      if (!present.has(`${key}#${record.uid}`)) void stopPod(state, key);
    for (const pod of event.items) void runPod(state, pod);
  } else if (event.type === 'deleted') {
    // Gone from the API already: kube-emulator removes a pod at once (it has no graceful pod
    // deletion), as a force deletion does, and the kubelet then kills with its minimum grace.
    void stopPod(state, podKey(event.object), FORCE_DELETION_GRACE_SECONDS);
  } else if (event.object.metadata.deletionTimestamp) {
    const grace = event.object.metadata.deletionGracePeriodSeconds;
    void stopPod(state, podKey(event.object), typeof grace === 'number' ? grace : undefined);
  } else {
    void runPod(state, event.object);
  }
}
