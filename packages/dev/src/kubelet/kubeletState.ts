// SPDX-License-Identifier: Apache-2.0
// What the parts of the local kubelet share: the pods it runs, their containers, and the queue
// that keeps a pod's restarts one at a time.
import type { Logger, Pod } from '@chaosplane/sdk';
import type { ContainerdEnvironment, CreateContainerOptions } from '../harness/startContainerd.js';
import type { PodApi } from '../podApi.js';
import type { PodNetwork } from './podNetwork.js';

/** The address of the node, and of every pod on it. */
export const HOST_IP = '127.0.0.1';

/** A container of a pod's spec, as far as the kubelet runs it. */
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  /** Only the memory limit is applied (to the container's cgroup). */
  resources?: { limits?: { memory?: string } };
}

/** One container the kubelet runs. */
export interface RunningContainer {
  name: string;
  image: string;
  bareId: string;
  /** Host PID of the task's init process. */
  pid: number;
  restartCount: number;
  startedAt: Date;
  /** How the previous instance ended, for `lastState`. */
  lastTerminated?: { exitCode: number; reason: string; finishedAt: Date; containerID: string };
  /** Task deaths in a row (CrashLoopBackOff); an image change starts again from 0. */
  crashes: number;
  /** When its task was found dead; set until the container is restarted. */
  deadSince?: Date;
}

/** Where a pod's containers live beside their own: its network and the sandbox that holds it. */
export interface PodSandbox {
  /** The containers' network: the pod's namespace, or the host's (`hostNetwork: true`). */
  network: NonNullable<CreateContainerOptions['network']>;
  /** The pod's IP. */
  ip: string;
  /**
   * The pause container holding the pod's network namespace while app containers come and go, as
   * a kubelet's sandbox does; absent for host-network pods.
   */
  pauseId?: string;
}

/** The shared state of one local kubelet. */
export interface KubeletState {
  core: PodApi;
  containerd: ContainerdEnvironment;
  nodeName: string;
  log: Logger;
  /** Pod key -> its containers. */
  running: Map<string, RunningContainer[]>;
  /** Pod key -> its sandbox. */
  sandboxes: Map<string, PodSandbox>;
  /** Pod networks; undefined where CNI cannot run (pods then keep containerd's default namespace). */
  network: PodNetwork | undefined;
  /** Pods whose containers are being started. */
  starting: Set<string>;
  /** Pod key -> its restarts, one at a time. */
  queues: Map<string, Promise<void>>;
  /** Pod key -> spec.restartPolicy. */
  restartPolicies: Map<string, string>;
  /** Aborted when the kubelet stops. */
  stop: AbortController;
  /** Containers started so far: makes their ids unique. */
  started: number;
}

/** `namespace/name` of a pod. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** Runs `work` after the pod's earlier restarts, so two never race on one container. */
export function serially(state: KubeletState, key: string, work: () => Promise<void>): Promise<void> {
  const { queues } = state;
  const next = (queues.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => {
    if (!state.stop.signal.aborted)
      state.log.warn('cannot restart container', { pod: key, error: (error as Error).message });
  });
  queues.set(key, next);
  void next.then(() => {
    if (queues.get(key) === next) queues.delete(key);
  });
  return next;
}
