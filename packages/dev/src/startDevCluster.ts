// SPDX-License-Identifier: Apache-2.0
// The cluster under a dev control plane, without Chaosplane: the node's network, kube-emulator
// (data under the plane's directory), the workload controllers, a private containerd and the
// local kubelet running pods in it. startDevControlPlane adds the daemon and the operator as
// processes; startDeployedControlPlane applies deploy/ and runs them as pods.
import { mkdir } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  containerdUnavailableReason,
  mintCertificates,
  startContainerd,
  type ContainerdEnvironment,
  type StartContainerdOptions,
} from './harness/index.js';
import { createContainerdApi } from '@chaosplane/daemon/containerd';
import { importImageArchive } from './containerd/images.js';
import { forwardApiServer } from './forwardApiServer.js';
import { unmountUnder } from './harness/spawnHostDaemon.js';
import { HOST_IP } from './kubelet/kubeletState.js';
import { createPodNetwork, podNetworkUnavailableReason, type PodNetwork } from './kubelet/podNetwork.js';
import {
  startLocalKubelet,
  type ClusterAccess,
  type LocalKubelet,
  type UnknownImagePolicy,
} from './startLocalKubelet.js';
import { startDevControllers, type DevControllerName, type DevControllers } from './startDevControllers.js';

/** Options of {@link startDevCluster}, shared by the dev control planes. */
export interface DevClusterOptions {
  /** State directory (kube-emulator data, kubeconfig, certificates, the node's directories); `.chaosplane`. */
  dir: string;
  /** Logger of the control plane itself (kubelet, setup). */
  log: Logger;
  /** Stops everything when aborted. */
  signal: AbortSignal;
  /** OCI (or Docker) image archives imported into the kubelet's containerd at start. */
  images?: string[];
  /** What runs for an image the kubelet does not have (see {@link LocalKubeletOptions}); busybox by default. */
  unknownImages?: UnknownImagePolicy;
}

/** The cluster of a dev control plane: one node, its kubelet and containerd, the API server and controllers. */
export interface DevCluster {
  kubeconfigPath: string;
  /** The emulator's kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  /** A connection to the emulator (closed by `stop()`). */
  kube: KubeConnection;
  nodeName: string;
  emulator: KubeEmulator;
  /** The private containerd the kubelet runs pods in. */
  containerd: ContainerdEnvironment;
  kubelet: LocalKubelet;
  /** The workload controllers ({@link DEV_PLANE_CONTROLLERS}). */
  controllers: DevControllers;
  /** The image names {@link DevClusterOptions.images} held, imported before the kubelet started. */
  images: string[];
  /** Stops everything, in reverse order of start. */
  stop(): Promise<void>;
}

/**
 * The controllers the dev control plane runs: all but the scheduler, since the local kubelet
 * binds every unscheduled pod to its one node itself (two binders would race for each pod).
 */
export const DEV_PLANE_CONTROLLERS: readonly DevControllerName[] = [
  'deployment',
  'replicaset',
  'daemonset',
  'endpointslice',
];

/** Longest socket path a unix socket takes (sun_path is 108 bytes with its NUL), with room to spare. */
const MAX_SOCKET_PATH = 100;

/**
 * Where containerd's directory goes: under the plane's own directory, so its socket and state are
 * found there; in the system's temporary directory when that path is too long for a socket.
 */
function containerdParentDir(dir: string): string {
  const socketPath = path.join(path.resolve(dir), 'cp-ctd-XXXXXX', 'containerd.sock.ttrpc');
  return socketPath.length <= MAX_SOCKET_PATH ? path.resolve(dir) : os.tmpdir();
}

/** Throws `runtime`, saying what to install, unless containerd can run here. */
function requireContainerd(): void {
  const missing = containerdUnavailableReason();
  if (missing !== undefined) {
    throw new ChaosplaneError(
      'runtime',
      `chaosplane dev runs pods as real containerd containers, but ${missing}. On Debian: ` +
        'sudo apt-get install -y containerd runc busybox-static (or run scripts/install-system-deps.sh as root)',
    );
  }
}

/** Cleanup steps, run in reverse order. */
export interface Cleanups {
  /** Adds a step (undoing what was just started). */
  push(step: () => Promise<void>): void;
  /** Runs every step, the last pushed first; a step that fails does not stop the others. */
  run(): Promise<void>;
}

/** An empty {@link Cleanups}. */
function createCleanups(): Cleanups {
  const steps: Array<() => Promise<void>> = [];
  return {
    push: step => void steps.push(step),
    async run() {
      for (let step = steps.pop(); step !== undefined; step = steps.pop())
        await step().catch(() => undefined);
    },
  };
}

/**
 * Checks that containerd can run, makes the plane's directory and its {@link Cleanups}: what
 * both planes do first. Returns the directory's absolute path.
 */
export async function prepareDevPlane(
  options: DevClusterOptions,
): Promise<{ dir: string; cleanups: Cleanups }> {
  requireContainerd();
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const cleanups = createCleanups();
  // The last step: nothing stays mounted under the plane's directory, so it can be removed. A
  // pod's network namespace whose attach raced the stop was once left (EBUSY on its removal).
  cleanups.push(() => Promise.resolve(unmountUnder(dir)));
  return { dir, cleanups };
}

/**
 * The node's network and the kubelet's certificates, made before the emulator starts: the pod
 * network's bridge is up (the emulator's certificate must name its gateway, where pods reach it),
 * and a kubelet CA signs the kubelet's serving certificate and the emulator's client certificate
 * (kube-apiserver's --kubelet-certificate-authority and --kubelet-client-certificate).
 */
async function prepareNode(options: DevClusterOptions, dir: string, cleanups: Cleanups) {
  const unavailable = podNetworkUnavailableReason();
  let network: PodNetwork | undefined;
  if (unavailable === undefined) {
    network = createPodNetwork({ dir: path.join(dir, 'kubelet'), log: options.log });
    cleanups.push(() => network!.close());
    await network.prepare();
  } else {
    options.log.warn('pods use the host network, without pod IPs', { reason: unavailable });
  }
  const kubeletCerts = await mintCertificates({
    dir: path.join(dir, 'certs', 'kubelet'),
    caName: 'chaosplane-dev-kubelet-ca',
    serverDnsNames: ['localhost', hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost'],
    serverIpAddresses: [HOST_IP],
    clientName: 'kube-apiserver-kubelet-client',
    days: 30,
  });
  return { network, kubeletCerts };
}

/** kube-emulator, serving pods at the gateway too, proxying logs and exec to the kubelet. */
async function startPlaneEmulator(
  dir: string,
  node: Awaited<ReturnType<typeof prepareNode>>,
  cleanups: Cleanups,
): Promise<{ emulator: KubeEmulator; kubeconfigPath: string; cluster: ClusterAccess }> {
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const { network, kubeletCerts } = node;
  const emulator = await startKubeEmulator({
    dataDir: path.join(dir, 'kube'),
    kubeconfigPath,
    ...(network ? { certificateHosts: [network.gateway] } : {}),
    kubeletClient: {
      caCert: kubeletCerts.caPem.toString(),
      cert: kubeletCerts.clientCertPem.toString(),
      key: kubeletCerts.clientKeyPem.toString(),
    },
  });
  cleanups.push(() => emulator.stop());
  const port = Number(new URL(emulator.url).port);
  let endpoint = { host: HOST_IP, port };
  if (network) {
    const forwarder = await forwardApiServer(network.gateway, { host: '127.0.0.1', port });
    cleanups.push(() => forwarder.close());
    endpoint = { host: forwarder.host, port: forwarder.port };
  }
  return {
    emulator,
    kubeconfigPath,
    cluster: { ...endpoint, caCert: emulator.caCert, fallbackToken: emulator.token },
  };
}

/** The local kubelet: on the pod network, serving its API with the kubelet CA's certificate. */
async function startPlaneKubelet(
  options: DevClusterOptions,
  parts: {
    dir: string;
    nodeName: string;
    node: Awaited<ReturnType<typeof prepareNode>>;
    cluster: ClusterAccess;
    kube: KubeConnection;
    containerd: ContainerdEnvironment;
  },
  cleanups: Cleanups,
): Promise<LocalKubelet> {
  const { node } = parts;
  const kubelet = await startLocalKubelet({
    kube: parts.kube,
    nodeName: parts.nodeName,
    containerd: parts.containerd,
    log: options.log,
    signal: options.signal,
    dir: path.join(parts.dir, 'kubelet'),
    ...(node.network ? { network: node.network } : {}),
    cluster: parts.cluster,
    serverTls: {
      caCert: node.kubeletCerts.caPem.toString(),
      cert: node.kubeletCerts.serverCertPem.toString(),
      key: node.kubeletCerts.serverKeyPem.toString(),
    },
    ...(options.unknownImages ? { unknownImages: options.unknownImages } : {}),
  });
  cleanups.push(() => kubelet.stop());
  return kubelet;
}

/**
 * The workload controllers ({@link DEV_PLANE_CONTROLLERS}) on their own connection, as
 * kube-controller-manager is its own client: their requests never queue behind the kubelet's
 * or the caller's. `stop()` also closes the connection.
 */
async function startPlaneControllers(
  kubeConfig: KubeConfig,
  options: DevClusterOptions,
): Promise<DevControllers> {
  const kube = createKubeConnection(kubeConfig);
  try {
    const controllers = await startDevControllers({
      kube,
      log: options.log,
      signal: options.signal,
      controllers: DEV_PLANE_CONTROLLERS,
    });
    options.log.info('controllers running', { controllers: controllers.names.join(',') });
    return {
      names: controllers.names,
      async stop() {
        await controllers.stop();
        kube.close();
      },
    };
  } catch (error) {
    kube.close();
    throw error;
  }
}

/**
 * Imports `options.images` into containerd before the kubelet starts, so that no pod a previous
 * run left in the API is tried (and fails) before its image is there; the names imported.
 */
async function importImages(
  containerd: ContainerdEnvironment,
  options: DevClusterOptions,
): Promise<string[]> {
  const names: string[] = [];
  if ((options.images ?? []).length === 0) return names;
  const api = createContainerdApi({ socketPath: containerd.socketPath, namespace: containerd.namespace });
  try {
    for (const archive of options.images ?? []) {
      const imported = await importImageArchive(api, archive, options.signal);
      options.log.info('image imported', { archive, images: imported });
      names.push(...imported);
    }
  } finally {
    api.close();
  }
  return names;
}

/** What a plane asks of its cluster's node. */
export interface DevNodeOptions {
  /** The node's own paths for containerd's containers ({@link StartContainerdOptions.nodeBinds}); the host's by default. */
  nodeBinds?: (network: PodNetwork | undefined) => NonNullable<StartContainerdOptions['nodeBinds']>;
}

/**
 * Starts the cluster of a dev control plane (the caller has made `dir`); `cleanups` receives
 * the steps that undo each part, to run in reverse order.
 */
export async function startDevCluster(
  options: DevClusterOptions,
  dir: string,
  cleanups: Cleanups,
  nodeOptions: DevNodeOptions = {},
): Promise<Omit<DevCluster, 'stop'> & { cluster: ClusterAccess }> {
  const node = await prepareNode(options, dir, cleanups);
  const { emulator, kubeconfigPath, cluster } = await startPlaneEmulator(dir, node, cleanups);
  const kubeConfig = loadKubeConfig(kubeconfigPath);
  const kube = createKubeConnection(kubeConfig, { maxSockets: 8 });
  cleanups.push(() => Promise.resolve(kube.close()));
  options.log.info('kube-emulator serving', {
    url: emulator.url,
    kubeconfig: kubeconfigPath,
    forPods: `${cluster.host}:${cluster.port}`,
  });
  const controllers = await startPlaneControllers(kubeConfig, options);
  cleanups.push(() => controllers.stop());

  const containerd: ContainerdEnvironment = await startContainerd({
    namespace: 'k8s.io',
    parentDir: containerdParentDir(dir),
    ...(nodeOptions.nodeBinds ? { nodeBinds: nodeOptions.nodeBinds(node.network) } : {}),
  });
  cleanups.push(() => containerd.stop());
  options.log.info('containerd started', { socket: containerd.socketPath });

  const images = await importImages(containerd, options);
  const nodeName = hostname();
  const kubelet = await startPlaneKubelet(
    options,
    { dir, nodeName, node, cluster, kube, containerd },
    cleanups,
  );
  return {
    kubeconfigPath,
    kubeConfig,
    kube,
    nodeName,
    emulator,
    containerd,
    kubelet,
    controllers,
    images,
    cluster,
  };
}
