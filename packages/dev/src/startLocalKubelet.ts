// SPDX-License-Identifier: Apache-2.0
// A minimal kubelet for the embedded control plane: pods bound to the local node (or not bound
// at all, which it binds) run as real containerd containers from the busybox-static root
// filesystem, and their status carries the real containerd:// ids. Images are not pulled:
// every container runs busybox, which is what the examples need. A pause image (any image
// named `pause`, as pod-failure swaps in) runs busybox `sleep infinity` instead of the pod's
// command. Like a kubelet, it restarts a container whose image changed in the pod spec, and a
// container whose task died (restartPolicy Always), with a new id and restartCount + 1.
import { createListWatch, runReflector, type KubeConnection } from '@chaosplane/kube';
import { ChaosplaneError, type Logger, type Pod } from '@chaosplane/sdk';
import type { ContainerdEnvironment } from './harness/startContainerd.js';
import { checkLiveness } from './kubelet/checkLiveness.js';
import { HOST_IP, type KubeletState } from './kubelet/kubeletState.js';
import { handlePodEvent, stopPod } from './kubelet/handlePodEvent.js';
import { createPodNetwork, podNetworkUnavailableReason } from './kubelet/podNetwork.js';
import { createPodApi, type PodApi } from './podApi.js';

export { isPauseImage } from './kubelet/startContainer.js';

/** Options of {@link startLocalKubelet}. */
export interface LocalKubeletOptions {
  kube: KubeConnection;
  /** The node this kubelet runs (created if missing). */
  nodeName: string;
  containerd: ContainerdEnvironment;
  log: Logger;
  signal: AbortSignal;
  /** Where pod network namespaces and IP allocations are kept; without it pods get no pod network. */
  dir?: string;
}

/** A running local kubelet. */
export interface LocalKubelet {
  /** Resolves when every given pod is Running with container ids. */
  waitRunning(namespace: string, names: readonly string[], timeoutMs: number): Promise<Pod[]>;
  /** Stops watching and stops every container it started. */
  stop(): Promise<void>;
}

/** How often the kubelet looks for containers whose task died. */
const LIVENESS_INTERVAL_MS = 250;

/** Checks liveness every {@link LIVENESS_INTERVAL_MS}, one check at a time, until the kubelet stops. */
function startLivenessChecks(state: KubeletState): void {
  let checking = false;
  const liveness = setInterval(() => {
    if (checking || state.stop.signal.aborted) return;
    checking = true;
    void checkLiveness(state).finally(() => {
      checking = false;
    });
  }, LIVENESS_INTERVAL_MS);
  liveness.unref();
  state.stop.signal.addEventListener('abort', () => clearInterval(liveness), { once: true });
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
function podNetworkOf(options: LocalKubeletOptions) {
  const unavailable =
    options.dir === undefined ? 'no state directory was given' : podNetworkUnavailableReason();
  if (unavailable === undefined) return createPodNetwork({ dir: options.dir!, log: options.log });
  options.log.warn('pods share containerd default network namespaces, without pod IPs', {
    reason: unavailable,
  });
  return undefined;
}

/** Starts the local kubelet: registers the node, then runs every pod bound to it. */
export async function startLocalKubelet(options: LocalKubeletOptions): Promise<LocalKubelet> {
  const { kube, nodeName, containerd, log } = options;
  const core = createPodApi(kube);
  await core.ensureNode(nodeName, HOST_IP);
  const state: KubeletState = {
    core,
    containerd,
    nodeName,
    log,
    running: new Map(),
    sandboxes: new Map(),
    network: podNetworkOf(options),
    starting: new Set(),
    queues: new Map(),
    restartPolicies: new Map(),
    stop: new AbortController(),
    started: 0,
  };
  const { stop } = state;
  options.signal.addEventListener('abort', () => stop.abort(), { once: true });
  startLivenessChecks(state);

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
    waitRunning: (namespace, names, timeoutMs) => waitRunning(core, namespace, names, timeoutMs),
    async stop() {
      stop.abort();
      await following;
      for (const key of [...state.running.keys()]) await stopPod(state, key);
      await state.network?.close();
    },
  };
}
