// SPDX-License-Identifier: Apache-2.0
// The shared state of the local kubelet: its pods, each with its sandbox and one slot per
// container (the instance running now, or why none is, with its restart history).
import type { Logger, Pod } from '@chaosplane/sdk';
import type { ContainerdApi } from '@chaosplane/daemon/containerd';
import type { TaskExit } from '../containerd/runContainer.js';
import type { ContainerdEnvironment, CreateContainerOptions } from '../harness/startContainerd.js';
import type { PodApi } from '../podApi.js';
import type { LogWriter } from './containerLog.js';
import type { PodNetwork } from './podNetwork.js';
import type { PodContainer, PodSpec } from './podSpecTypes.js';

/** The address of the node, and of every pod without a pod network. */
export const HOST_IP = '127.0.0.1';

/** How pods reach the API server, and what their service account files hold. */
export interface ClusterAccess {
  /** `KUBERNETES_SERVICE_HOST` and `_PORT` as pods see them. */
  host: string;
  port: number;
  /** The API server's CA (the pods' `ca.crt`). */
  caCert: string;
  /** A token to use when the API server issues none for service accounts (TokenRequest not served). */
  fallbackToken: string;
}

/** A container of a pod, as the kubelet reads it (the pod spec's fields). */
export type ContainerSpec = PodContainer;

/** One instance of a container: what containerd runs now (or ran, until the next restart). */
export interface ContainerInstance {
  bareId: string;
  pid: number;
  startedAt: Date;
  /** What `imageID` shows. */
  imageId: string;
  /** The instance's log. */
  logFile: string;
  log: LogWriter;
  /** Resolves when its task exited and its output was read. */
  exited: Promise<TaskExit>;
  /** Set once its task exited. */
  exit?: TaskExit;
  /** The busybox root filesystem made for it, removed with it. */
  rootfsDir?: string;
  /** Set when the kubelet stopped it on purpose (image change, liveness, pod deletion). */
  replaced?: boolean;
}

/** How an earlier instance ended, for `lastState.terminated`. */
export interface TerminatedState {
  exitCode: number;
  reason: string;
  startedAt: Date;
  finishedAt: Date;
  containerID: string;
}

/** A container of a pod, across its instances. */
export interface ContainerSlot {
  name: string;
  /** The image its current (or next) instance runs. */
  image: string;
  instance?: ContainerInstance;
  /** Why no instance runs (ErrImagePull, CrashLoopBackOff, CreateContainerConfigError…). */
  waiting?: { reason: string; message?: string };
  restartCount: number;
  lastTerminated?: TerminatedState;
  /** Failed starts or exits in a row: the back-off grows with them. */
  crashes: number;
  /** A pending restart or retry. */
  timer?: NodeJS.Timeout;
  /** Readiness (true without a readiness probe once running). */
  ready: boolean;
  /** Probe results in a row, per probe. */
  probes: {
    livenessFailures: number;
    readinessSuccesses: number;
    readinessFailures: number;
    lastRun: Record<string, number>;
  };
}

/** Where a pod's containers live beside their own: its network and the sandbox that holds it. */
export interface PodSandbox {
  /** The containers' network: the pod's namespace, or the host's (`hostNetwork: true`). */
  network: NonNullable<CreateContainerOptions['network']>;
  /** The pod's IP. */
  ip: string;
  /** The pause container holding the pod's network namespace; absent for host-network pods. */
  pauseId?: string;
  /** The key its network was attached under. */
  networkKey?: string;
}

/** A pod the kubelet runs. */
export interface PodRecord {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  /** The latest pod object seen. */
  pod: Pod;
  spec: PodSpec;
  sandbox: PodSandbox;
  /** The pod's own directory (volumes, hosts file). */
  dir: string;
  /** Volume name -> its directory (or file) on the host. */
  volumes: Map<string, string>;
  slots: ContainerSlot[];
  startTime: Date;
  stopping: boolean;
}

/** What the kubelet does with an image it does not have. */
export type UnknownImagePolicy = 'busybox' | 'pull-error';

/** The shared state of one local kubelet. */
export interface KubeletState {
  core: PodApi;
  containerd: ContainerdEnvironment;
  api: ContainerdApi;
  /** containerd's default OCI spec (`ctr oci spec`), the base of every container's. */
  baseSpec: Record<string, unknown>;
  nodeName: string;
  log: Logger;
  pods: Map<string, PodRecord>;
  /** Pod networks; undefined where CNI cannot run (pods then use the host's network). */
  network: PodNetwork | undefined;
  /** Pods whose containers are being started. */
  starting: Set<string>;
  /** Pod key -> its changes, one at a time. */
  queues: Map<string, Promise<void>>;
  /** Aborted when the kubelet stops. */
  stop: AbortController;
  /** Containers started so far: makes their ids unique. */
  started: number;
  dirs: { pods: string; logs: string; fifos: string; rootfs: string };
  cluster: ClusterAccess | undefined;
  unknownImages: UnknownImagePolicy;
  logMaxBytes: number;
}

/** `namespace/name` of a pod. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** Runs `work` after the pod's earlier changes, so two never race on one container. */
export function serially(state: KubeletState, key: string, work: () => Promise<void>): Promise<void> {
  const { queues } = state;
  const next = (queues.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => {
    if (!state.stop.signal.aborted)
      state.log.warn('kubelet: pod change failed', { pod: key, error: (error as Error).message });
  });
  queues.set(key, next);
  void next.then(() => {
    if (queues.get(key) === next) queues.delete(key);
  });
  return next;
}
