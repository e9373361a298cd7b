// SPDX-License-Identifier: Apache-2.0
// A minimal kubelet for the embedded control plane: pods bound to the local node (or not bound
// at all, which it binds) run as real containerd containers from the busybox-static root
// filesystem, and their status carries the real containerd:// ids. Images are not pulled:
// every container runs busybox, which is what the examples need.
import {
  CoreV1Api,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { ChaosplaneError, type Logger } from '@chaosplane/core';
import type { ContainerdEnvironment } from '@chaosplane/daemon/testing';

/** Options of {@link startLocalKubelet}. */
export interface LocalKubeletOptions {
  kube: KubeConfig;
  /** The node this kubelet runs (created if missing). */
  nodeName: string;
  containerd: ContainerdEnvironment;
  log: Logger;
  signal: AbortSignal;
}

/** A running local kubelet. */
export interface LocalKubelet {
  /** Resolves when every given pod is Running with container ids. */
  waitRunning(namespace: string, names: readonly string[], timeoutMs: number): Promise<V1Pod[]>;
  /** Stops watching and stops every container it started. */
  stop(): Promise<void>;
}

const HOST_IP = '127.0.0.1';

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/**
 * The container's argv: command + args, as the kubelet does; `sleep 3600` when neither is set.
 * A bare program name is looked up in the busybox root's /bin (there is no image PATH).
 */
function argvOf(container: { command?: string[]; args?: string[] }): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const [program, ...rest] = argv.length > 0 ? argv : ['sleep', '3600'];
  return [program.includes('/') ? program : `/bin/${program}`, ...rest];
}

/** Starts the local kubelet: registers the node, then runs every pod bound to it. */
export async function startLocalKubelet(options: LocalKubeletOptions): Promise<LocalKubelet> {
  const { kube, nodeName, containerd, log } = options;
  const core = kube.makeApiClient(CoreV1Api);
  await ensureNode(core, nodeName);
  const running = new Map<string, string[]>(); // pod key -> bare container ids
  const starting = new Set<string>();
  const stop = new AbortController();
  options.signal.addEventListener('abort', () => stop.abort(), { once: true });

  async function runPod(pod: V1Pod): Promise<void> {
    const key = podKey(pod);
    if (running.has(key) || starting.has(key) || pod.metadata?.deletionTimestamp) return;
    starting.add(key);
    try {
      const namespace = pod.metadata!.namespace!;
      const name = pod.metadata!.name!;
      if (!pod.spec?.nodeName) {
        // The scheduler's job, done here: bind the pod to the only node.
        await core.patchNamespacedPod(
          { name, namespace, body: { spec: { nodeName } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return; // the MODIFIED event of the binding runs it
      } else if (pod.spec.nodeName !== nodeName) {
        return;
      }
      const ids: string[] = [];
      const statuses = [];
      for (const container of pod.spec?.containers ?? []) {
        const started = await containerd.createContainer({
          id: `${namespace}-${name}-${container.name}-${Date.now().toString(36)}`.replace(
            /[^A-Za-z0-9_.-]/g,
            '-',
          ),
          argv: argvOf(container),
        });
        ids.push(started.bareId);
        statuses.push({
          name: container.name,
          image: container.image ?? 'busybox',
          imageID: 'busybox-static',
          containerID: started.id,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: new Date() } },
        });
      }
      running.set(key, ids);
      const now = new Date();
      await core.replaceNamespacedPodStatus({
        name,
        namespace,
        body: {
          ...(await core.readNamespacedPod({ name, namespace })),
          status: {
            phase: 'Running',
            hostIP: HOST_IP,
            podIP: HOST_IP,
            startTime: now,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
              { type: 'Initialized', status: 'True', lastTransitionTime: now },
              { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
              { type: 'Ready', status: 'True', lastTransitionTime: now },
            ],
            containerStatuses: statuses,
          },
        },
      });
      log.info('pod running on containerd', { pod: key, containers: statuses.map(s => s.containerID) });
    } catch (error) {
      if (!stop.signal.aborted) log.warn('cannot run pod', { pod: key, error: (error as Error).message });
    } finally {
      starting.delete(key);
    }
  }

  async function stopPod(key: string): Promise<void> {
    const ids = running.get(key);
    if (!ids) return;
    running.delete(key);
    for (const id of ids) await containerd.stopContainer(id).catch(() => undefined);
    log.info('pod stopped', { pod: key });
  }

  // List, run what is there, then follow changes from the list's resourceVersion.
  const list = await core.listPodForAllNamespaces();
  for (const pod of list.items) await runPod(pod);
  const watch = new Watch(kube);
  let request: AbortController | undefined;
  let resourceVersion = list.metadata?.resourceVersion;
  const follow = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      await new Promise<void>(resolve => {
        void watch
          .watch(
            '/api/v1/pods',
            { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
            (type: string, pod: V1Pod) => {
              resourceVersion = pod.metadata?.resourceVersion ?? resourceVersion;
              if (type === 'DELETED' || pod.metadata?.deletionTimestamp) void stopPod(podKey(pod));
              else if (type === 'ADDED' || type === 'MODIFIED') void runPod(pod);
            },
            () => resolve(),
          )
          .then(
            controller => {
              request = controller;
              if (stop.signal.aborted) controller.abort();
            },
            () => resolve(),
          );
      });
      if (!stop.signal.aborted) await new Promise(resolve => setTimeout(resolve, 200));
    }
  };
  const following = follow();
  stop.signal.addEventListener('abort', () => request?.abort(), { once: true });

  return {
    async waitRunning(namespace, names, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const pods = await Promise.all(names.map(name => core.readNamespacedPod({ name, namespace })));
        if (
          pods.every(
            p => p.status?.phase === 'Running' && p.status.containerStatuses?.every(s => s.containerID),
          )
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
    },
    async stop() {
      stop.abort();
      await following;
      for (const key of [...running.keys()]) await stopPod(key);
    },
  };
}

async function ensureNode(core: CoreV1Api, nodeName: string): Promise<void> {
  try {
    await core.readNode({ name: nodeName });
  } catch {
    await core.createNode({
      body: {
        metadata: {
          name: nodeName,
          labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux' },
        },
        status: { addresses: [{ type: 'InternalIP', address: HOST_IP }] },
      },
    });
  }
}
