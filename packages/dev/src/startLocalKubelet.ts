// SPDX-License-Identifier: Apache-2.0
// A local kubelet for the embedded control plane: pods bound to the local node (or not bound at
// all, which it binds) run as real containerd containers, created through containerd's API from
// OCI images imported into its containerd (or from the busybox-static root filesystem for busybox
// and pause images), with the pod features a cluster's kubelet gives: volumes (Secret,
// ConfigMap, projected, downwardAPI, emptyDir, hostPath), the service account's token and CA,
// the API server's KUBERNETES_SERVICE_* variables, env from fields, Secrets and ConfigMaps,
// security contexts, host PID/IPC/network, probes, restartPolicy with back-off, and container
// logs. Its HTTPS API (see kubeletServer.ts) serves `kubectl logs` and `kubectl exec` through
// the API server.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createListWatch, runReflector, type KubeConnection } from '@chaosplane/kube';
import { ChaosplaneError, type Logger, type Pod } from '@chaosplane/sdk';
import { createContainerdApi } from '@chaosplane/daemon/containerd';
import { importImageArchive } from './containerd/images.js';
import type { ContainerdEnvironment } from './harness/startContainerd.js';
import {
  createKubeletServer,
  type KubeletServer,
  type KubeletServerTls,
} from './kubelet/createKubeletServer.js';
import { handlePodEvent, stopPod } from './kubelet/handlePodEvent.js';
import {
  HOST_IP,
  type ClusterAccess,
  type KubeletState,
  type UnknownImagePolicy,
} from './kubelet/kubeletState.js';
import { createPodNetwork, podNetworkUnavailableReason, type PodNetwork } from './kubelet/podNetwork.js';
import { runProbes } from './kubelet/runProbes.js';
import { createPodApi, type PodApi } from './podApi.js';

export { isPauseImage } from './kubelet/containerImage.js';
export type { ClusterAccess, UnknownImagePolicy } from './kubelet/kubeletState.js';
export type { KubeletServerTls } from './kubelet/createKubeletServer.js';

const run = promisify(execFile);

/** Options of {@link startLocalKubelet}. */
export interface LocalKubeletOptions {
  kube: KubeConnection;
  /** The node this kubelet runs (created if missing). */
  nodeName: string;
  containerd: ContainerdEnvironment;
  log: Logger;
  signal: AbortSignal;
  /** Where pod directories, logs and pod network namespaces are kept; a directory under containerd's by default (and then no pod network). */
  dir?: string;
  /** The pod networks to use (made by the caller, who closes them); made from `dir` otherwise. */
  network?: PodNetwork;
  /** How pods reach the API server (service account files, KUBERNETES_SERVICE_*); none without it. */
  cluster?: ClusterAccess;
  /**
   * What runs for an image the kubelet's containerd does not have: `busybox` (the default: the
   * busybox root filesystem, as every dev pod ran before images) or `pull-error` (ErrImagePull,
   * as a kubelet without a registry would say). Busybox and pause images always run busybox.
   */
  unknownImages?: UnknownImagePolicy;
  /** Size cap of one container log file before it is rotated; 10 MiB by default (the kubelet's). */
  logMaxBytes?: number;
  /**
   * Serve the kubelet's HTTPS API (container logs, exec) with this certificate, to clients with
   * a certificate of its CA (the API server), on the node's address; its port goes into the
   * Node's `status.daemonEndpoints.kubeletEndpoint`, where the API server finds it.
   */
  serverTls?: KubeletServerTls;
}

/** A running local kubelet. */
export interface LocalKubelet {
  /** The port of the kubelet's HTTPS API, when it serves one. */
  readonly port: number | undefined;
  /** Resolves when every given pod is Running with container ids. */
  waitRunning(namespace: string, names: readonly string[], timeoutMs: number): Promise<Pod[]>;
  /** Imports an OCI (or Docker) image archive into the kubelet's containerd; resolves with the image names. */
  importImage(archivePath: string, signal?: AbortSignal): Promise<string[]>;
  /** Stops watching and stops every container it started. */
  stop(): Promise<void>;
}

/** How often probes are looked at (each runs at its own periodSeconds). */
const PROBE_TICK_MS = 500;

/** Runs the due probes every {@link PROBE_TICK_MS}, one round at a time, until the kubelet stops. */
function startProbing(state: KubeletState): void {
  let probing = false;
  const timer = setInterval(() => {
    if (probing || state.stop.signal.aborted) return;
    probing = true;
    void runProbes(state).finally(() => {
      probing = false;
    });
  }, PROBE_TICK_MS);
  timer.unref();
  state.stop.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/** {@link LocalKubelet.waitRunning}: polls the pods until all run with container ids. */
// Not `eventually`: a failed read of a pod fails at once (eventually would retry it until the
// timeout), and a timeout is kind `runtime`, what `chaosplane dev` reports.
async function waitRunning(
  core: PodApi,
  namespace: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<Pod[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pods = await Promise.all(names.map(name => core.read(namespace, name)));
    if (
      pods.every(p => p.status?.phase === 'Running' && p.status.containerStatuses?.every(s => s.containerID))
    ) {
      return pods;
    }
    if (Date.now() > until) {
      throw new ChaosplaneError(
        'runtime',
        `pods ${names.join(', ')} in ${namespace} did not start in ${timeoutMs} ms`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** The pod networks of the kubelet, or undefined (with a warning saying why) where CNI cannot run. */
function podNetworkOf(options: LocalKubeletOptions): PodNetwork | undefined {
  if (options.network) return options.network;
  const unavailable =
    options.dir === undefined ? 'no state directory was given' : podNetworkUnavailableReason();
  if (unavailable === undefined) return createPodNetwork({ dir: options.dir!, log: options.log });
  options.log.warn('pods use the host network, without pod IPs', { reason: unavailable });
  return undefined;
}

/** The kubelet's directories under `dir`; FIFOs under containerd's (short) directory. */
async function kubeletDirs(options: LocalKubeletOptions): Promise<KubeletState['dirs']> {
  const dir = options.dir ?? path.join(options.containerd.dir, 'kubelet');
  const dirs = {
    pods: path.join(dir, 'pods'),
    logs: path.join(dir, 'logs'),
    fifos: path.join(options.containerd.dir, 'fifo'),
    rootfs: path.join(options.containerd.dir, 'rootfs'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  return dirs;
}

/** Starts the local kubelet: registers the node, then runs every pod bound to it. */
export async function startLocalKubelet(options: LocalKubeletOptions): Promise<LocalKubelet> {
  const { kube, nodeName, containerd, log } = options;
  const core = createPodApi(kube);
  const api = createContainerdApi({ socketPath: containerd.socketPath, namespace: containerd.namespace });
  const baseSpec = JSON.parse((await run('ctr', ['oci', 'spec'])).stdout) as Record<string, unknown>;
  const ownNetwork = options.network === undefined;
  const state: KubeletState = {
    core,
    containerd,
    api,
    baseSpec,
    nodeName,
    log,
    pods: new Map(),
    network: podNetworkOf(options),
    starting: new Set(),
    queues: new Map(),
    stop: new AbortController(),
    started: 0,
    dirs: await kubeletDirs(options),
    cluster: options.cluster,
    unknownImages: options.unknownImages ?? 'busybox',
    logMaxBytes: options.logMaxBytes ?? 10 * 1024 * 1024,
  };
  const { stop } = state;
  options.signal.addEventListener('abort', () => stop.abort(), { once: true });
  let server: KubeletServer | undefined;
  if (options.serverTls) server = await createKubeletServer(state, options.serverTls, HOST_IP);
  await core.ensureNode(nodeName, HOST_IP, server?.port);
  startProbing(state);

  // Every pod, listed then watched (relisted after errors and 410s): run or stop what changed.
  const following = runReflector<Pod>(
    {
      resource: 'pods',
      source: createListWatch<Pod>(kube, '/api/v1/pods'),
      onEvent: event => handlePodEvent(state, event),
      log,
    },
    stop.signal,
  );

  return {
    port: server?.port,
    waitRunning: (namespace, names, timeoutMs) => waitRunning(core, namespace, names, timeoutMs),
    importImage: (archivePath, signal) => importImageArchive(api, archivePath, signal),
    async stop() {
      stop.abort();
      await following;
      await server?.close();
      // A node going away: no grace.
      await Promise.all([...state.pods.keys()].map(key => stopPod(state, key, 0)));
      if (ownNetwork) await state.network?.close();
      api.close();
    },
  };
}
