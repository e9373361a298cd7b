// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev`: a whole Chaosplane on one machine. kube-emulator (data under .chaosplane/),
// a private containerd, the controllers of Deployments, ReplicaSets, DaemonSets and
// EndpointSlices, the chaos daemon (mTLS) and the operator, wired exactly as in a cluster: the
// operator finds the daemon through the EndpointSlice of its headless Service.
import { mkdir } from 'node:fs/promises';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { daemonHandlersOf, startDaemon } from '@chaosplane/daemon';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { startOperator, type RunningOperator } from '@chaosplane/operator';
import { ChaosplaneError, type KubeClient, type Logger } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  containerdUnavailableReason,
  mintCertificates,
  startContainerd,
  type ContainerdEnvironment,
  type MintedCertificates,
} from './harness/index.js';
import { deployDir } from './deployDir.js';
import { operatorServiceAccountKubeconfig } from './operatorServiceAccount.js';
import { spawnDaemonProcess } from './spawnDaemonProcess.js';
import { forwardApiServer } from './forwardApiServer.js';
import { HOST_IP } from './kubelet/kubeletState.js';
import { createPodNetwork, podNetworkUnavailableReason, type PodNetwork } from './kubelet/podNetwork.js';
import {
  startLocalKubelet,
  type ClusterAccess,
  type LocalKubelet,
  type UnknownImagePolicy,
} from './startLocalKubelet.js';
import { startDevControllers, type DevControllerName, type DevControllers } from './startDevControllers.js';

/** The namespace the operator and the daemon's Service live in. */
export const DEV_NAMESPACE = 'chaosplane';
/**
 * The capabilities of the daemon's container in deploy/daemon.yaml (checked against it by a
 * test): what nsenter, kill, tc, iptables and ipset need, nothing more.
 */
export const DAEMON_CAPABILITIES: readonly string[] = [
  'SYS_ADMIN',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_ADMIN',
  // iptables' set match asks the kernel for ipset's version over a raw socket.
  'NET_RAW',
];

/** The name the daemon's certificate carries and the operator checks. */
export const DAEMON_SERVER_NAME = 'chaosplane-daemon';

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

/** Options of {@link startDevControlPlane}. */
export interface DevControlPlaneOptions {
  /** State directory (kube-emulator data, kubeconfig, daemon journal, certificates); `.chaosplane`. */
  dir: string;
  /** Plugins for the operator and the daemon. */
  plugins: string[];
  /** Directory plugin names are resolved from. */
  pluginsFrom?: string;
  /** Loggers of the two halves, so their lines can be told apart. */
  operatorLog: Logger;
  daemonLog: Logger;
  /** Logger of the control plane itself (kubelet, setup). */
  log: Logger;
  /** Stops everything when aborted. */
  signal: AbortSignal;
  /**
   * Run the daemon as its own process (the built `chaosplane-daemon`) confined by `setpriv` to
   * exactly these capabilities (Kubernetes names, as in deploy/daemon.yaml's securityContext)
   * instead of in this process with all of the caller's. Needs root and util-linux setpriv.
   */
  daemonCapabilities?: readonly string[];
  /** OCI (or Docker) image archives imported into the kubelet's containerd at start. */
  images?: string[];
  /** What runs for an image the kubelet does not have (see {@link LocalKubeletOptions}); busybox by default. */
  unknownImages?: UnknownImagePolicy;
  /**
   * Whom the operator authenticates as. `service-account` (the default): its ServiceAccount
   * `chaosplane:chaosplane-operator` with the repository's deploy/rbac applied and the chaos-kinds,
   * orchestration and install-crds roles generated for the loaded plugins, RBAC enforced by the
   * emulator, as in a cluster: a rule a plugin needs and its roles lack fails here with the 403 it
   * would get there. `admin`: the emulator's admin kubeconfig (every request allowed), to tell an
   * RBAC failure from another while writing a plugin. Without deploy/ (Chaosplane run from
   * installed packages, not a clone) the default falls back to `admin` with a warning in the
   * plane's log; an explicit `service-account` then fails.
   */
  operatorIdentity?: 'service-account' | 'admin';
  /**
   * Start the operator in this process (the default). With `false` the plane runs without one,
   * for tests that run the operator binary themselves (with `operatorKubeconfigPath`).
   */
  runOperator?: boolean;
}

/** The daemon of a dev control plane, in this process or a child process. */
export interface DevDaemon {
  /** Process id of the daemon: this process's when it runs in-process. */
  pid: number;
  grpcPort: number;
  /** Graceful shutdown. */
  close(): Promise<void>;
  /**
   * A daemon in its own process only: stops it with `signal` (SIGKILL for a crash) and starts
   * it again on the same port and state directory, as a DaemonSet restarts its pod.
   */
  restart?(signal: NodeJS.Signals): Promise<void>;
}

/** A running embedded control plane. */
export interface DevControlPlane {
  kubeconfigPath: string;
  /** The emulator's kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  /** A connection to the emulator (closed by `stop()`). */
  kube: KubeConnection;
  nodeName: string;
  emulator: KubeEmulator;
  /** The private containerd the kubelet runs pods in. */
  containerd: ContainerdEnvironment;
  daemon: DevDaemon;
  /** The certificates of the daemon (server) and the operator (client), with their CA. */
  certs: MintedCertificates;
  /**
   * The running operator (the one started last); undefined with `runOperator: false` until
   * {@link DevControlPlane.startOperator}.
   */
  readonly operator: RunningOperator | undefined;
  /** The kubeconfig the operator runs with: its ServiceAccount's, or the admin's. */
  operatorKubeconfigPath: string;
  kubelet: LocalKubelet;
  /** The workload controllers ({@link DEV_PLANE_CONTROLLERS}). */
  controllers: DevControllers;
  /**
   * Stops the operator gracefully and leaves the rest running (what the daemon does without an
   * operator); {@link DevControlPlane.startOperator} starts a new one.
   */
  stopOperator(): Promise<void>;
  /** Starts the operator again after {@link DevControlPlane.stopOperator}; a no-op while one runs. */
  startOperator(): Promise<void>;
  /**
   * Stops the operator (gracefully), the kubelet's containers, the daemon, the controllers,
   * containerd and the emulator.
   */
  stop(): Promise<void>;
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

/** The daemon: its own capability-confined process with `daemonCapabilities`, else in this process. */
async function startDevDaemon(
  options: DevControlPlaneOptions,
  dir: string,
  certs: MintedCertificates,
  containerd: ContainerdEnvironment,
): Promise<DevDaemon> {
  const capabilities = options.daemonCapabilities;
  if (capabilities === undefined) return startDaemonInProcess(options, dir, certs, containerd);
  const spawnOne = (grpcPort?: number) =>
    spawnDaemonProcess({
      capabilities,
      containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace },
      certsDir: certs.dir,
      stateDir: path.join(dir, 'daemon'),
      plugins: options.plugins,
      pluginsFrom: options.pluginsFrom ?? process.cwd(),
      allowedClients: ['chaosplane-operator'],
      log: options.daemonLog,
      signal: options.signal,
      ...(grpcPort !== undefined ? { grpcPort } : {}),
    });
  let current = await spawnOne();
  const { grpcPort } = current;
  return {
    get pid() {
      return current.pid;
    },
    grpcPort,
    close: () => current.close(),
    async restart(signal) {
      await current.kill(signal);
      current = await spawnOne(grpcPort);
    },
  };
}

/**
 * The operator on the emulator, finding the daemon through its Service as in a cluster; stopped
 * by aborting `stop` (also aborted with the control plane's signal).
 */
function startDevOperator(
  options: DevControlPlaneOptions,
  kubeconfigPath: string,
  daemon: DevDaemon,
  certs: MintedCertificates,
  stop: AbortController,
): Promise<RunningOperator> {
  options.signal.addEventListener('abort', () => stop.abort(), { once: true });
  return startOperator(
    {
      kubeconfig: kubeconfigPath,
      plugins: options.plugins,
      ...(options.pluginsFrom !== undefined ? { pluginsFrom: options.pluginsFrom } : {}),
      namespace: DEV_NAMESPACE,
      installCrds: true,
      daemon: {
        discovery: { kind: 'service', namespace: DEV_NAMESPACE, serviceName: 'chaosplane-daemon' },
        port: daemon.grpcPort,
        tls: {
          caPem: certs.caPem,
          certPem: certs.clientCertPem,
          keyPem: certs.clientKeyPem,
          serverName: DAEMON_SERVER_NAME,
        },
        callTimeoutMs: 60_000,
      },
      selection: { filterNamespaces: false },
      engine: { workersPerKind: 4, recordParallelism: 16, shutdownGraceMs: 10_000 },
    },
    options.operatorLog,
    stop.signal,
  );
}

/** Cleanup steps, run in reverse order. */
type Cleanups = Array<() => Promise<void>>;

/**
 * The node's network and the kubelet's certificates, made before the emulator starts: the pod
 * network's bridge is up (the emulator's certificate must name its gateway, where pods reach it),
 * and a kubelet CA signs the kubelet's serving certificate and the emulator's client certificate
 * (kube-apiserver's --kubelet-certificate-authority and --kubelet-client-certificate).
 */
async function prepareNode(options: DevControlPlaneOptions, dir: string, cleanups: Cleanups) {
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

/** The local kubelet: on the pod network, serving its API with the kubelet CA's certificate; images imported. */
async function startPlaneKubelet(
  options: DevControlPlaneOptions,
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
  for (const archive of options.images ?? []) {
    const names = await kubelet.importImage(archive, options.signal);
    options.log.info('image imported', { archive, images: names });
  }
  return kubelet;
}

/**
 * The workload controllers ({@link DEV_PLANE_CONTROLLERS}) on their own connection, as
 * kube-controller-manager is its own client: their requests never queue behind the kubelet's
 * or the caller's. `stop()` also closes the connection.
 */
async function startPlaneControllers(
  kubeConfig: KubeConfig,
  options: DevControlPlaneOptions,
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
 * The operator's kubeconfig: its ServiceAccount's (RBAC applied), or the admin's when asked for
 * or, by default, when there is no deploy/ to take the roles from.
 */
async function operatorKubeconfig(
  options: DevControlPlaneOptions,
  dir: string,
  adminKubeconfig: string,
  kube: KubeClient,
  emulator: KubeEmulator,
): Promise<string> {
  if (options.operatorIdentity === 'admin') return adminKubeconfig;
  const deploy = deployDir();
  if (deploy === undefined) {
    if (options.operatorIdentity === 'service-account')
      throw new ChaosplaneError(
        'invalid',
        "operatorIdentity service-account needs the repository's deploy/rbac (run from a clone)",
      );
    // Installed packages carry no deploy/: the roles of a cluster cannot be applied, so the
    // operator keeps full access rather than failing on requests a cluster would allow.
    options.log.warn(
      'the operator runs with the admin kubeconfig, not its ServiceAccount: deploy/rbac was not found (run from a clone of the repository to have RBAC enforced as in a cluster)',
    );
    return adminKubeconfig;
  }
  return operatorServiceAccountKubeconfig({
    kube,
    emulator,
    deploy,
    plugins: options.plugins,
    ...(options.pluginsFrom !== undefined ? { pluginsFrom: options.pluginsFrom } : {}),
    dir,
  });
}

/**
 * The operator of the plane, stopped and started again on demand (each start with the same
 * kubeconfig); started at once unless `runOperator` is false.
 */
async function controlOperator(
  options: DevControlPlaneOptions,
  kubeconfigPath: string,
  daemon: DevDaemon,
  certs: MintedCertificates,
): Promise<{
  current: () => RunningOperator | undefined;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}> {
  let abort = new AbortController();
  let operator: RunningOperator | undefined;
  let running = false;
  const start = async () => {
    if (running) return;
    abort = new AbortController();
    operator = await startDevOperator(options, kubeconfigPath, daemon, certs, abort);
    running = true;
  };
  const stop = async () => {
    abort.abort();
    await operator?.done;
    running = false;
  };
  if (options.runOperator !== false) await start();
  return { current: () => operator, start, stop };
}

/** Starts the embedded control plane; call `stop()` (or abort the signal, then `stop()`). */
export async function startDevControlPlane(options: DevControlPlaneOptions): Promise<DevControlPlane> {
  requireContainerd();
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const cleanups: Cleanups = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
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
    });
    cleanups.push(() => containerd.stop());
    options.log.info('containerd started', { socket: containerd.socketPath });

    const certs = await mintCertificates({
      dir: path.join(dir, 'certs'),
      serverDnsNames: [DAEMON_SERVER_NAME, 'localhost'],
      clientName: 'chaosplane-operator',
    });
    const daemon = await startDevDaemon(options, dir, certs, containerd);
    cleanups.push(() => daemon.close());

    const nodeName = hostname();
    const kubelet = await startPlaneKubelet(
      options,
      { dir, nodeName, node, cluster, kube, containerd },
      cleanups,
    );
    await registerDaemonEndpoint(kube, nodeName, daemon.grpcPort);

    const operatorKubeconfigPath = await operatorKubeconfig(options, dir, kubeconfigPath, kube, emulator);
    const operator = await controlOperator(options, operatorKubeconfigPath, daemon, certs);
    cleanups.push(operator.stop);
    return {
      kubeconfigPath,
      kubeConfig,
      kube,
      nodeName,
      emulator,
      containerd,
      daemon,
      certs,
      get operator() {
        return operator.current();
      },
      operatorKubeconfigPath,
      kubelet,
      controllers,
      stopOperator: operator.stop,
      startOperator: operator.start,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The daemon in this process, with every capability of the caller, serving the plugins' handlers. */
async function startDaemonInProcess(
  options: DevControlPlaneOptions,
  dir: string,
  certs: { caPem: Buffer; serverCertPem: Buffer; serverKeyPem: Buffer },
  containerd: ContainerdEnvironment,
): Promise<DevDaemon> {
  const daemonPlugins = daemonHandlersOf(
    await loadPlugins(
      options.plugins,
      options.pluginsFrom !== undefined ? { from: options.pluginsFrom } : {},
    ),
  );
  const daemon = await startDaemon({
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
    stateDir: path.join(dir, 'daemon'),
    runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
    plugins: daemonPlugins,
    logger: options.daemonLog,
    // As in deploy/daemon.yaml: only the operator's certificate may call.
    allowedClients: ['chaosplane-operator'],
  });
  return { pid: process.pid, grpcPort: daemon.grpcPort, close: () => daemon.close() };
}

/** The daemon's headless Service and an EndpointSlice on the local node, as a DaemonSet would have. */
async function registerDaemonEndpoint(kube: KubeClient, nodeName: string, port: number): Promise<void> {
  const namespace = DEV_NAMESPACE;
  const ns = `/api/v1/namespaces/${namespace}`;
  await createUnlessExists(kube, '/api/v1/namespaces', { metadata: { name: namespace } });
  await createUnlessExists(kube, `${ns}/services`, {
    metadata: { name: 'chaosplane-daemon' },
    spec: { clusterIP: 'None', ports: [{ name: 'grpc', port, targetPort: port }] },
  });
  const slices = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'chaosplane-daemon-local',
      labels: { 'kubernetes.io/service-name': 'chaosplane-daemon' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], nodeName, conditions: { ready: true } }],
    ports: [{ name: 'grpc', port, protocol: 'TCP' }],
  };
  // The port changes from run to run: replace a slice a previous run left.
  if (!(await createUnlessExists(kube, slices, slice))) {
    const existing = await kube.request<{ metadata: { resourceVersion: string } }>(
      'GET',
      `${slices}/${slice.metadata.name}`,
    );
    await kube.request('PUT', `${slices}/${slice.metadata.name}`, {
      body: { ...slice, metadata: { ...slice.metadata, resourceVersion: existing.metadata.resourceVersion } },
    });
  }
}

/** Creates an object; false when one of that name already exists. */
async function createUnlessExists(kube: KubeClient, collection: string, body: object): Promise<boolean> {
  try {
    await kube.request('POST', collection, { body });
    return true;
  } catch (error) {
    if (ChaosplaneError.isKind(error, 'conflict')) return false;
    throw error;
  }
}
