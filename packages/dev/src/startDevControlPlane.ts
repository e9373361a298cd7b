// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev`: a whole Chaosplane on one machine. kube-emulator (data under .chaosplane/),
// a private containerd, the controllers of Deployments, ReplicaSets, DaemonSets and
// EndpointSlices, the chaos daemon (mTLS) and the operator, wired exactly as in a cluster: the
// operator finds the daemon through the EndpointSlice of its headless Service.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { daemonHandlersOf, startDaemon } from '@chaosplane/daemon';
import { startOperator, type RunningOperator } from '@chaosplane/operator';
import { ChaosplaneError, type KubeClient, type Logger } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import { mintCertificates, type ContainerdEnvironment, type MintedCertificates } from './harness/index.js';
import type { KubeEmulator } from '@chaosplane/kube-emulator';
import { deployDir } from './deployDir.js';
import { operatorServiceAccountKubeconfig } from './operatorServiceAccount.js';
import { spawnDaemonProcess } from './spawnDaemonProcess.js';
import {
  prepareDevPlane,
  startDevCluster,
  type DevCluster,
  type DevClusterOptions,
} from './startDevCluster.js';

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

/** Options of {@link startDevControlPlane}. */
export interface DevControlPlaneOptions extends DevClusterOptions {
  /** Plugins for the operator and the daemon. */
  plugins: string[];
  /** Directory plugin names are resolved from. */
  pluginsFrom?: string;
  /** Loggers of the two halves, so their lines can be told apart. */
  operatorLog: Logger;
  daemonLog: Logger;
  /**
   * Run the daemon as its own process (the built `chaosplane-daemon`) confined by `setpriv` to
   * exactly these capabilities (Kubernetes names, as in deploy/daemon.yaml's securityContext)
   * instead of in this process with all of the caller's. Needs root and util-linux setpriv.
   */
  daemonCapabilities?: readonly string[];
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

/** A running embedded control plane: its cluster, and the daemon and operator as processes. */
export interface DevControlPlane extends DevCluster {
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
  /**
   * Stops the operator gracefully and leaves the rest running (what the daemon does without an
   * operator); {@link DevControlPlane.startOperator} starts a new one.
   */
  stopOperator(): Promise<void>;
  /** Starts the operator again after {@link DevControlPlane.stopOperator}; a no-op while one runs. */
  startOperator(): Promise<void>;
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
  const { dir, cleanups } = await prepareDevPlane(options);
  const cleanup = () => cleanups.run();
  try {
    const cluster = await startDevCluster(options, dir, cleanups);
    const { kube, containerd, emulator, kubeconfigPath } = cluster;
    const certs = await mintCertificates({
      dir: path.join(dir, 'certs'),
      serverDnsNames: [DAEMON_SERVER_NAME, 'localhost'],
      clientName: 'chaosplane-operator',
    });
    const daemon = withDaemonEndpoint(await startDevDaemon(options, dir, certs, containerd), ready =>
      registerDaemonEndpoint(kube, cluster.nodeName, daemon.grpcPort, ready),
    );
    cleanups.push(() => daemon.close());
    await registerDaemonEndpoint(kube, cluster.nodeName, daemon.grpcPort, daemonInstance(daemon));

    const operatorKubeconfigPath = await operatorKubeconfig(options, dir, kubeconfigPath, kube, emulator);
    const operator = await controlOperator(options, operatorKubeconfigPath, daemon, certs);
    cleanups.push(operator.stop);
    return {
      kubeconfigPath,
      kubeConfig: cluster.kubeConfig,
      kube,
      nodeName: cluster.nodeName,
      emulator,
      containerd,
      daemon,
      certs,
      get operator() {
        return operator.current();
      },
      operatorKubeconfigPath,
      kubelet: cluster.kubelet,
      controllers: cluster.controllers,
      images: cluster.images,
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

/** What the hand-made endpoint says of the daemon: which instance (as a pod's targetRef), and whether ready. */
interface DaemonInstanceRef {
  name: string;
  uid: string;
  ready: boolean;
}

/** The endpoint of the daemon's current process: a pod's targetRef, a new uid per process. */
function daemonInstance(daemon: DevDaemon): DaemonInstanceRef {
  return { name: `chaosplane-daemon-${daemon.pid}`, uid: randomUUID(), ready: true };
}

/**
 * `daemon`, whose restart updates its endpoint as the EndpointSlice controller does when a
 * DaemonSet replaces its pod: not ready while it is down, then the new pod's targetRef.
 */
function withDaemonEndpoint(
  daemon: DevDaemon,
  register: (instance: DaemonInstanceRef) => Promise<void>,
): DevDaemon {
  if (daemon.restart === undefined) return daemon;
  const restart = daemon.restart.bind(daemon);
  return Object.defineProperties(daemon, {
    restart: {
      value: async (signal: NodeJS.Signals) => {
        await register({ ...daemonInstance(daemon), ready: false });
        await restart(signal);
        await register(daemonInstance(daemon));
      },
    },
  });
}

/** The daemon's headless Service and an EndpointSlice on the local node, as a DaemonSet would have. */
async function registerDaemonEndpoint(
  kube: KubeClient,
  nodeName: string,
  port: number,
  instance: DaemonInstanceRef,
): Promise<void> {
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
    endpoints: [
      {
        addresses: ['127.0.0.1'],
        nodeName,
        conditions: { ready: instance.ready, serving: instance.ready, terminating: !instance.ready },
        targetRef: { kind: 'Pod', namespace: DEV_NAMESPACE, name: instance.name, uid: instance.uid },
      },
    ],
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
