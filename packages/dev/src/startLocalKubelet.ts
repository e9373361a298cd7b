// SPDX-License-Identifier: Apache-2.0
// A minimal kubelet for the embedded control plane: pods bound to the local node (or not bound
// at all, which it binds) run as real containerd containers from the busybox-static root
// filesystem, and their status carries the real containerd:// ids. Images are not pulled:
// every container runs busybox, which is what the examples need. A pause image (any image
// named `pause`, as pod-failure swaps in) runs busybox `sleep infinity` instead of the pod's
// command. Like a kubelet, it restarts a container whose image changed in the pod spec, and a
// container whose task died (restartPolicy Always), with a new id and restartCount + 1.
import { readFile } from 'node:fs/promises';
import { createListWatch, runReflector, type KubeConnection, type ReflectorEvent } from '@chaosplane/kube';
import { ChaosplaneError, type Logger, type Pod } from '@chaosplane/sdk';
import type { ContainerdEnvironment } from './harness/startContainerd.js';
import { createPodApi } from './podApi.js';

/** Options of {@link startLocalKubelet}. */
export interface LocalKubeletOptions {
  kube: KubeConnection;
  /** The node this kubelet runs (created if missing). */
  nodeName: string;
  containerd: ContainerdEnvironment;
  log: Logger;
  signal: AbortSignal;
}

/** A running local kubelet. */
export interface LocalKubelet {
  /** Resolves when every given pod is Running with container ids. */
  waitRunning(namespace: string, names: readonly string[], timeoutMs: number): Promise<Pod[]>;
  /** Stops watching and stops every container it started. */
  stop(): Promise<void>;
}

const HOST_IP = '127.0.0.1';
/** How often the kubelet looks for containers whose task died. */
const LIVENESS_INTERVAL_MS = 250;

/** One container the kubelet runs. */
interface RunningContainer {
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

/**
 * The exit code reported for a dead task. containerd's task list does not show exit statuses,
 * so this kubelet reports what a SIGKILL (container-kill) gives: 128 + 9.
 */
const DEAD_TASK_EXIT_CODE = 137;

/** CrashLoopBackOff: the first restart at once, then 10 s, 20 s, … up to 5 minutes. */
function crashBackoffMs(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(10_000 * 2 ** (crashes - 1), 300_000);
}

/** True for pause images (`registry.k8s.io/pause:3.10`, `gcr.io/google-containers/pause:latest`). */
export function isPauseImage(image: string | undefined): boolean {
  return image !== undefined && /(^|\/)pause([:@]|$)/.test(image);
}

/** True while the process exists and is not a zombie. */
async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/**
 * The container's argv: command + args, as the kubelet does; `sleep 3600` when neither is set.
 * A bare program name is looked up in the busybox root's /bin (there is no image PATH).
 */
function argvOf(container: { command?: string[]; args?: string[]; image?: string }): string[] {
  // A pause image has no shell or command of the pod's; it only sleeps.
  if (isPauseImage(container.image)) return ['/bin/sleep', 'infinity'];
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const [program, ...rest] = argv.length > 0 ? argv : ['sleep', '3600'];
  return [program.includes('/') ? program : `/bin/${program}`, ...rest];
}

/** Starts the local kubelet: registers the node, then runs every pod bound to it. */
export async function startLocalKubelet(options: LocalKubeletOptions): Promise<LocalKubelet> {
  const { kube, nodeName, containerd, log } = options;
  const core = createPodApi(kube);
  await core.ensureNode(nodeName, HOST_IP);
  const running = new Map<string, RunningContainer[]>(); // pod key -> its containers
  const starting = new Set<string>();
  const queues = new Map<string, Promise<void>>(); // pod key -> its restarts, one at a time
  const restartPolicies = new Map<string, string>(); // pod key -> spec.restartPolicy
  const stop = new AbortController();
  options.signal.addEventListener('abort', () => stop.abort(), { once: true });
  let started = 0;

  /** Runs `work` after the pod's earlier restarts, so two never race on one container. */
  function serially(key: string, work: () => Promise<void>): Promise<void> {
    const next = (queues.get(key) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      if (!stop.signal.aborted)
        log.warn('cannot restart container', { pod: key, error: (error as Error).message });
    });
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
    return next;
  }

  async function startContainer(
    namespace: string,
    name: string,
    container: { name: string; image?: string; command?: string[]; args?: string[] },
  ): Promise<RunningContainer> {
    const created = await containerd.createContainer({
      id: `${namespace}-${name}-${container.name}-${Date.now().toString(36)}${(started++).toString(36)}`.replace(
        /[^A-Za-z0-9_.-]/g,
        '-',
      ),
      argv: argvOf(container),
    });
    return {
      name: container.name,
      image: container.image ?? 'busybox',
      bareId: created.bareId,
      pid: created.pid,
      restartCount: 0,
      startedAt: new Date(),
      crashes: 0,
    };
  }

  function statusOf(c: RunningContainer) {
    const terminated = c.deadSince
      ? { exitCode: DEAD_TASK_EXIT_CODE, reason: 'Error', finishedAt: c.deadSince }
      : undefined;
    return {
      name: c.name,
      image: c.image,
      imageID: isPauseImage(c.image) ? 'busybox-static (pause)' : 'busybox-static',
      containerID: `containerd://${c.bareId}`,
      ready: terminated === undefined,
      started: terminated === undefined,
      restartCount: c.restartCount,
      state: terminated
        ? { terminated: { ...terminated, startedAt: c.startedAt, containerID: `containerd://${c.bareId}` } }
        : { running: { startedAt: c.startedAt } },
      ...(c.lastTerminated
        ? { lastState: { terminated: { ...c.lastTerminated, startedAt: c.startedAt } } }
        : {}),
    };
  }

  /** Writes the containers' statuses (dead ones as terminated), retrying on conflicts. */
  async function writeStatuses(key: string, containers: RunningContainer[]): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    for (let attempt = 0; ; attempt++) {
      const pod = await core.read(namespace, name);
      const statuses = containers.map(c => statusOf(c));
      const ready = containers.every(c => c.deadSince === undefined) ? 'True' : 'False';
      const now = new Date();
      const conditions = ((pod.status?.['conditions'] ?? []) as PodCondition[]).map(condition =>
        (condition.type === 'Ready' || condition.type === 'ContainersReady') && condition.status !== ready
          ? { ...condition, status: ready, lastTransitionTime: now }
          : condition,
      );
      try {
        await core.replaceStatus({
          ...pod,
          status: { ...pod.status, conditions, containerStatuses: statuses },
        });
        return;
      } catch (error) {
        if (!ChaosplaneError.isKind(error, 'conflict') || attempt >= 5) throw error;
      }
    }
  }

  /** Replaces one container with a new instance: a new id, restartCount + 1. */
  async function restart(
    key: string,
    old: RunningContainer,
    spec: { name: string; image?: string; command?: string[]; args?: string[] },
    lastTerminated: RunningContainer['lastTerminated'],
  ): Promise<RunningContainer> {
    const [namespace, name] = key.split('/') as [string, string];
    const next = await startContainer(namespace, name, spec);
    return { ...next, restartCount: old.restartCount + 1, ...(lastTerminated ? { lastTerminated } : {}) };
  }

  /** A running pod whose spec changed: restart each container whose image changed. */
  function reconcileImages(pod: Pod): Promise<void> {
    const key = podKey(pod);
    return serially(key, async () => {
      const containers = running.get(key);
      if (!containers || stop.signal.aborted) return;
      let changed = false;
      for (const [i, current] of containers.entries()) {
        const spec = pod.spec?.containers.find(c => c.name === current.name);
        if (!spec || (spec.image ?? 'busybox') === current.image) continue;
        await containerd.stopContainer(current.bareId).catch(() => undefined);
        const finishedAt = new Date();
        const lastTerminated = {
          exitCode: DEAD_TASK_EXIT_CODE,
          reason: 'Error',
          finishedAt,
          containerID: `containerd://${current.bareId}`,
        };
        containers[i] = await restart(key, current, spec, lastTerminated);
        changed = true;
        log.info('container restarted: image changed', {
          pod: key,
          container: current.name,
          image: spec.image,
          containerId: `containerd://${containers[i].bareId}`,
        });
      }
      if (changed && running.get(key) === containers) await writeStatuses(key, containers);
    });
  }

  /**
   * Finds containers whose task died: reports them `terminated`, then restarts them as
   * restartPolicy Always (and OnFailure: the exit status is unknown here) would, with
   * CrashLoopBackOff between repeated deaths. restartPolicy Never leaves them terminated.
   */
  async function checkLiveness(): Promise<void> {
    for (const [key, containers] of running) {
      for (const current of containers) {
        if (current.deadSince === undefined && (await processAlive(current.pid))) continue;
        if (current.deadSince !== undefined) {
          if (restartPolicies.get(key) === 'Never') continue;
          if (Date.now() - current.deadSince.getTime() < crashBackoffMs(current.crashes)) continue;
        }
        await serially(key, async () => {
          const index = running.get(key)?.indexOf(current) ?? -1;
          if (index < 0 || stop.signal.aborted) return; // stopped or already restarted meanwhile
          if (current.deadSince === undefined) {
            current.deadSince = new Date();
            log.info('container died', {
              pod: key,
              container: current.name,
              containerId: `containerd://${current.bareId}`,
            });
            await writeStatuses(key, containers);
          }
          if (restartPolicies.get(key) === 'Never') return;
          if (Date.now() - current.deadSince.getTime() < crashBackoffMs(current.crashes)) return;
          const [namespace, name] = key.split('/') as [string, string];
          const pod = await core.read(namespace, name);
          const spec = pod.spec?.containers.find(c => c.name === current.name) ?? {
            name: current.name,
            image: current.image,
          };
          const next = await restart(key, current, spec, {
            exitCode: DEAD_TASK_EXIT_CODE,
            reason: 'Error',
            finishedAt: current.deadSince,
            containerID: `containerd://${current.bareId}`,
          });
          next.crashes = current.crashes + 1;
          if (running.get(key) !== containers) {
            await containerd.stopContainer(next.bareId).catch(() => undefined);
            return;
          }
          containers[index] = next;
          await writeStatuses(key, containers);
          log.info('container restarted: task died', {
            pod: key,
            container: current.name,
            containerId: `containerd://${next.bareId}`,
            restartCount: next.restartCount,
          });
        });
      }
    }
  }

  async function runPod(pod: Pod): Promise<void> {
    const key = podKey(pod);
    if (pod.metadata?.deletionTimestamp) return;
    if (running.has(key)) {
      await reconcileImages(pod);
      return;
    }
    if (starting.has(key)) return;
    starting.add(key);
    try {
      const namespace = pod.metadata.namespace!;
      const name = pod.metadata.name!;
      if (!pod.spec?.nodeName) {
        // The scheduler's job, done here: bind the pod to the only node (pods/binding, as
        // kube-scheduler does; spec.nodeName cannot be patched).
        await core.bind(namespace, name, nodeName);
        return; // the MODIFIED event of the binding runs it
      } else if (pod.spec.nodeName !== nodeName) {
        return;
      }
      const containers: RunningContainer[] = [];
      for (const container of pod.spec?.containers ?? []) {
        containers.push(await startContainer(namespace, name, container));
      }
      running.set(key, containers);
      restartPolicies.set(key, (pod.spec['restartPolicy'] as string | undefined) ?? 'Always');
      const statuses = containers.map(c => statusOf(c));
      const now = new Date();
      await core.replaceStatus({
        ...(await core.read(namespace, name)),
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
      });
      log.info('pod running on containerd', { pod: key, containers: statuses.map(s => s.containerID) });
      // A spec change that arrived while the pod was starting.
      const latest = await core.read(namespace, name);
      if (
        latest.spec?.containers.some(
          c => containers.find(r => r.name === c.name)?.image !== (c.image ?? 'busybox'),
        )
      )
        await reconcileImages(latest);
    } catch (error) {
      if (!stop.signal.aborted) log.warn('cannot run pod', { pod: key, error: (error as Error).message });
    } finally {
      starting.delete(key);
    }
  }

  async function stopPod(key: string): Promise<void> {
    const containers = running.get(key);
    if (!containers) return;
    running.delete(key);
    restartPolicies.delete(key);
    await serially(key, async () => {
      for (const c of containers) await containerd.stopContainer(c.bareId).catch(() => undefined);
    });
    log.info('pod stopped', { pod: key });
  }

  let checking = false;
  const liveness = setInterval(() => {
    if (checking || stop.signal.aborted) return;
    checking = true;
    void checkLiveness().finally(() => {
      checking = false;
    });
  }, LIVENESS_INTERVAL_MS);
  liveness.unref();
  stop.signal.addEventListener('abort', () => clearInterval(liveness), { once: true });

  // Every pod, listed then watched (relisted after errors and 410s): run or stop what changed.
  const onPodEvent = (event: ReflectorEvent<Pod>) => {
    if (event.type === 'listed') {
      const present = new Set(event.items.map(podKey));
      for (const key of [...running.keys()]) if (!present.has(key)) void stopPod(key);
      for (const pod of event.items) void runPod(pod);
    } else if (event.type === 'deleted' || event.object.metadata.deletionTimestamp) {
      void stopPod(podKey(event.object));
    } else {
      void runPod(event.object);
    }
  };
  const following = runReflector<Pod>(
    { resource: 'pods', source: createListWatch<Pod>(kube, '/api/v1/pods'), onEvent: onPodEvent, log },
    stop.signal,
  );

  return {
    async waitRunning(namespace, names, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const pods = await Promise.all(names.map(name => core.read(namespace, name)));
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

/** A pod condition as the kubelet writes it. */
interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: Date | string;
}
