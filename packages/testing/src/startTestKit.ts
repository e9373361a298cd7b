// SPDX-License-Identifier: Apache-2.0
// The plugin test kit: one call runs a whole Chaosplane for a plugin under test (kube-emulator,
// a private containerd, the daemon over mTLS and the operator, both with the plugin loaded, and
// busybox pods as real containers), and tears it all down.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDaemonClientPool } from '@chaosplane/daemon/client';
import { DAEMON_SERVER_NAME, runKubectl, startDevControlPlane, type DevControlPlane } from '@chaosplane/dev';
import { eventually, type EventuallyOptions } from '@chaosplane/dev/eventually';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import { resourcePath, type KubeConnection } from '@chaosplane/kube';
import {
  ChaosplaneError,
  type ChaosObject,
  type ContainerRecord,
  type Logger,
  type Pod,
} from '@chaosplane/sdk';
import { createSilentLogger } from '@chaosplane/service';
import type { Client, CompatServiceDefinition } from 'nice-grpc';

const run = promisify(execFile);

/** A pod the kit runs: busybox containers sleeping, under these names. */
export interface TestPod {
  /** The pod's name, in the kit's namespace. */
  name: string;
  /** Its labels, for selectors; none by default. */
  labels?: Record<string, string>;
  /** Container names; `['main']` by default. */
  containers?: string[];
  /** Each container's `resources.limits.memory` (a quantity: `48Mi`); none by default. */
  memoryLimit?: string;
  /** Run on the node's own network (`spec.hostNetwork`) rather than in a namespace of its own. */
  hostNetwork?: boolean;
}

/** Options of {@link startTestKit}. */
export interface TestKitOptions {
  /** Plugins to load into the operator and the daemon: package names or paths, as `--plugin`. */
  plugins: string[];
  /** Where package names are resolved from; the current directory by default. */
  pluginsFrom?: string;
  /** The namespace the pods run in (created); `chaos-test` by default. */
  namespace?: string;
  /** The pods; two, `target-0` and `target-1` labelled `app: target`, by default. */
  pods?: TestPod[];
  /** Where the operator's and the daemon's lines go; silent by default. */
  log?: Logger;
  /**
   * Run the daemon as its own process confined to these capabilities (as deploy/daemon.yaml's
   * DaemonSet does: `DAEMON_CAPABILITIES` of @chaosplane/dev), so `restartDaemon` can SIGKILL it;
   * in the test's process with every capability by default.
   */
  daemonCapabilities?: readonly string[];
  /**
   * Whom the operator authenticates as: its ServiceAccount under the RBAC of deploy/ plus the
   * roles generated for the loaded kinds, as in a cluster (the default, from a clone), or
   * `admin`, every request allowed: to tell an RBAC failure (a 403 in the object's Events) from
   * another while a plugin's extra role is not written yet.
   */
  operatorIdentity?: 'service-account' | 'admin';
}

/** A chaos object's place: its kind's group, version and plural, and its name. */
export interface ChaosRef {
  /** `chaos-mesh.org` by default. */
  group?: string;
  /** `v1alpha1` by default. */
  version?: string;
  /** The kind's plural (`helloworldchaos`). */
  plural: string;
  /** The object's name. */
  name: string;
  /** The kit's namespace by default. */
  namespace?: string;
}

/** A running test kit. */
export interface TestKit {
  /** The control plane (emulator, containerd, daemon, operator, kubelet). */
  readonly plane: DevControlPlane;
  /** A connection to the API server. */
  readonly kube: KubeConnection;
  /** The admin kubeconfig (every request allowed), for kubectl and clients of the test's own. */
  readonly kubeconfigPath: string;
  /** The pods' namespace. */
  readonly namespace: string;
  /** The pods, as running (with their container ids). */
  readonly pods: Pod[];
  /** Runs the real kubectl against the kit (argv only), `stdin` fed in; rejects with its output. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  /** Reads a chaos object; undefined when it does not exist. */
  get<Spec = unknown>(ref: ChaosRef): Promise<ChaosObject<Spec> | undefined>;
  /** Waits until every record of the object has `phase` and returns the records. */
  waitForRecords(ref: ChaosRef, phase: string, options?: EventuallyOptions): Promise<ContainerRecord[]>;
  /** Waits until the object is gone (its finalizer removed). */
  waitForDeletion(ref: ChaosRef, options?: EventuallyOptions): Promise<void>;
  /**
   * Runs a command inside a pod's container, as root from the host (nsenter into all its
   * namespaces): for assertions only, never what a plugin should do. `podName` is a pod of the
   * kit's namespace, or `namespace/name`.
   */
  exec(podName: string, argv: string[], container?: string): Promise<{ stdout: string; exitCode: number }>;
  /**
   * A nice-grpc client of a daemon service on the kit's node, with the operator's client
   * certificate (failures are nice-grpc `ClientError`s): for calling a plugin's handler directly.
   */
  daemonClient<Service extends CompatServiceDefinition>(definition: Service): Promise<Client<Service>>;
  /** Events about an object, oldest first: `reason: message`. */
  events(name: string): Promise<{ type: string; reason: string; message: string; count: number }[]>;
  /**
   * Stops the daemon with `signal` (SIGKILL: a crash) and starts it again on its state directory,
   * as a DaemonSet would. Needs `daemonCapabilities` (a daemon in its own process).
   */
  restartDaemon(signal: NodeJS.Signals): Promise<void>;
  /** Stops the operator gracefully, leaving the daemon and the pods running (the daemon on its own). */
  stopOperator(): Promise<void>;
  /** Starts the operator again after {@link TestKit.stopOperator}. */
  startOperator(): Promise<void>;
  /** Stops everything and removes the kit's directory. */
  close(): Promise<void>;
}

/** Why the kit cannot run here (it needs root and containerd), or undefined when it can. */
export function testKitUnavailableReason(): string | undefined {
  return containerdUnavailableReason();
}

const DEFAULT_PODS: TestPod[] = [
  { name: 'target-0', labels: { app: 'target' } },
  { name: 'target-1', labels: { app: 'target' } },
];

function podManifest(namespace: string, pod: TestPod) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace, labels: pod.labels ?? {} },
    spec: {
      containers: (pod.containers ?? ['main']).map(name => ({
        name,
        image: 'busybox',
        command: ['sleep', '3600'],
        ...(pod.memoryLimit !== undefined ? { resources: { limits: { memory: pod.memoryLimit } } } : {}),
      })),
      ...(pod.hostNetwork === true ? { hostNetwork: true } : {}),
    },
  };
}

/** Starts the kit; always `close()` it (in `afterAll`). */
export async function startTestKit(options: TestKitOptions): Promise<TestKit> {
  const reason = testKitUnavailableReason();
  if (reason !== undefined) throw new ChaosplaneError('runtime', `the test kit cannot run here: ${reason}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-kit-'));
  const stop = new AbortController();
  const log = options.log ?? createSilentLogger();
  let plane: DevControlPlane;
  try {
    plane = await startDevControlPlane({
      dir,
      plugins: options.plugins,
      ...(options.pluginsFrom !== undefined ? { pluginsFrom: options.pluginsFrom } : {}),
      operatorLog: log.child({ component: 'operator' }),
      daemonLog: log.child({ component: 'daemon' }),
      log: log.child({ component: 'dev' }),
      signal: stop.signal,
      ...(options.daemonCapabilities !== undefined ? { daemonCapabilities: options.daemonCapabilities } : {}),
      ...(options.operatorIdentity !== undefined ? { operatorIdentity: options.operatorIdentity } : {}),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    throw error;
  }
  const namespace = options.namespace ?? 'chaos-test';
  const podsWanted = options.pods ?? DEFAULT_PODS;
  const kube = plane.kube;
  const close = async () => {
    stop.abort();
    await plane.stop();
    // Retried: a process of the plane may still be writing there as it exits (a CI run saw ENOTEMPTY).
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  try {
    await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } });
    for (const pod of podsWanted)
      await kube.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
        body: podManifest(namespace, pod),
      });
    const pods = await plane.kubelet.waitRunning(
      namespace,
      podsWanted.map(p => p.name),
      60_000,
    );
    return createKit(plane, namespace, pods, close);
  } catch (error) {
    await close();
    throw error;
  }
}

/** {@link TestKit.get}: reads a chaos object, undefined when it does not exist. */
type GetChaos = <Spec>(ref: ChaosRef) => Promise<ChaosObject<Spec> | undefined>;

/** {@link TestKit.waitForRecords}: the records once every one has `phase`. */
async function waitForRecords(
  get: GetChaos,
  ref: ChaosRef,
  phase: string,
  options: EventuallyOptions,
): Promise<ContainerRecord[]> {
  let last: unknown;
  return eventually(
    async () => {
      const obj = await get(ref);
      last = obj?.status?.experiment;
      const records = obj?.status?.experiment?.containerRecords;
      return records && records.length > 0 && records.every(r => r.phase === phase) ? records : undefined;
    },
    {
      what: `every record of ${ref.name} is ${phase}`,
      describe: () => (last === undefined ? '(it has no status.experiment yet)' : JSON.stringify(last)),
      ...options,
    },
  );
}

/** {@link TestKit.exec}: nsenter into every namespace of the container's task, as root. */
async function execInPod(
  plane: DevControlPlane,
  namespace: string,
  podName: string,
  argv: string[],
  container: string | undefined,
): Promise<{ stdout: string; exitCode: number }> {
  const [podNamespace, name] = podName.includes('/')
    ? (podName.split('/', 2) as [string, string])
    : [namespace, podName];
  const pod = await plane.kube.request<Pod>(
    'GET',
    resourcePath({ group: '', version: 'v1', plural: 'pods' }, podNamespace, name),
  );
  const status = pod.status?.containerStatuses?.find(s =>
    container === undefined ? true : s.name === container,
  );
  const bareId = status?.containerID?.replace(/^containerd:\/\//, '');
  const task = bareId === undefined ? undefined : await plane.containerd.taskStatus(bareId);
  if (task === undefined)
    throw new ChaosplaneError('not-found', `pod ${podName} has no running container ${container ?? ''}`);
  try {
    const { stdout } = await run('nsenter', [
      '-t',
      String(task.pid),
      '-m',
      '-p',
      '-n',
      '-u',
      '-i',
      '--',
      ...argv,
    ]);
    return { stdout, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; code?: number };
    return { stdout: failed.stdout ?? '', exitCode: typeof failed.code === 'number' ? failed.code : 1 };
  }
}

/** {@link TestKit.events}: the events of the namespace about the object `name`. */
async function eventsAbout(
  kube: KubeConnection,
  namespace: string,
  name: string,
): Promise<{ type: string; reason: string; message: string; count: number }[]> {
  const list = await kube.request<{
    items: {
      type: string;
      reason: string;
      message: string;
      count?: number;
      metadata: { creationTimestamp?: string };
    }[];
  }>('GET', `/api/v1/namespaces/${namespace}/events`, {
    query: { fieldSelector: `involvedObject.name=${name}` },
  });
  return list.items.map(e => ({
    type: e.type,
    reason: e.reason,
    message: e.message,
    count: e.count ?? 1,
  }));
}

/** Wraps a started control plane and its pods in the {@link TestKit} API. */
function createKit(
  plane: DevControlPlane,
  namespace: string,
  pods: Pod[],
  close: () => Promise<void>,
): TestKit {
  const kube = plane.kube;
  const pool = createDaemonClientPool({
    source: { resolve: () => Promise.resolve('127.0.0.1') },
    port: plane.daemon.grpcPort,
    tls: {
      caPem: plane.certs.caPem,
      certPem: plane.certs.clientCertPem,
      keyPem: plane.certs.clientKeyPem,
      serverName: DAEMON_SERVER_NAME,
    },
  });
  const pathOf = (ref: ChaosRef) =>
    resourcePath(
      { group: ref.group ?? 'chaos-mesh.org', version: ref.version ?? 'v1alpha1', plural: ref.plural },
      ref.namespace ?? namespace,
      ref.name,
    );
  const get: GetChaos = async <Spec>(ref: ChaosRef) =>
    kube.request<ChaosObject<Spec>>('GET', pathOf(ref)).catch((error: unknown) => {
      if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
      throw error;
    });
  return {
    plane,
    kube,
    kubeconfigPath: plane.kubeconfigPath,
    namespace,
    pods,
    kubectl: (args, stdin) =>
      runKubectl(plane.kubeconfigPath, args, { withStderr: true, ...(stdin !== undefined ? { stdin } : {}) }),
    get,
    waitForRecords: (ref, phase, options = {}) => waitForRecords(get, ref, phase, options),
    async waitForDeletion(ref, options = {}) {
      await eventually(async () => (await get(ref)) === undefined, {
        what: `${ref.name} is gone`,
        ...options,
      });
    },
    exec: (podName, argv, container) => execInPod(plane, namespace, podName, argv, container),
    daemonClient: definition => pool.clientFor(plane.nodeName, definition),
    events: name => eventsAbout(kube, namespace, name),
    async restartDaemon(signal) {
      if (plane.daemon.restart === undefined)
        throw new ChaosplaneError(
          'invalid',
          'restartDaemon needs a daemon in its own process: start the kit with daemonCapabilities',
          {
            field: 'daemonCapabilities',
          },
        );
      await plane.daemon.restart(signal);
    },
    stopOperator: () => plane.stopOperator(),
    startOperator: () => plane.startOperator(),
    async close() {
      pool.close();
      await close();
    },
  };
}
