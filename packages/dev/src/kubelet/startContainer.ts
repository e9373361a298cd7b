// SPDX-License-Identifier: Apache-2.0
// How the local kubelet starts a pod's container: busybox, with the pod's command.
import type { ContainerSpec, KubeletState, RunningContainer } from './kubeletState.js';
import { parseByteQuantity } from './parseQuantity.js';

/** True for pause images (`registry.k8s.io/pause:3.10`, `gcr.io/google-containers/pause:latest`). */
export function isPauseImage(image: string | undefined): boolean {
  return image !== undefined && /(^|\/)pause([:@]|$)/.test(image);
}

/**
 * The container's argv: command + args, as the kubelet does; `sleep 3600` when neither is set.
 * A bare program name is looked up in the busybox root's /bin (there is no image PATH).
 */
function argvOf(container: { command?: string[]; args?: string[]; image?: string }): string[] {
  // A pause image has no shell or command of the pod's; it only sleeps.
  if (isPauseImage(container.image)) return ['/bin/sleep', 'infinity'];
  const [program, ...rest] = [...(container.command ?? []), ...(container.args ?? [])];
  if (program === undefined) return ['/bin/sleep', '3600'];
  return [program.includes('/') ? program : `/bin/${program}`, ...rest];
}

/** Starts a container of pod `namespace/name` in containerd, under a new unique id. */
export async function startContainer(
  state: KubeletState,
  namespace: string,
  name: string,
  container: ContainerSpec,
): Promise<RunningContainer> {
  const sandbox = state.sandboxes.get(`${namespace}/${name}`);
  const memory = container.resources?.limits?.memory;
  const created = await state.containerd.createContainer({
    ...(sandbox ? { network: sandbox.network } : {}),
    ...(memory !== undefined
      ? {
          memoryLimitBytes: parseByteQuantity(
            memory,
            `spec.containers[${container.name}].resources.limits.memory`,
          ),
        }
      : {}),
    id: `${namespace}-${name}-${container.name}-${Date.now().toString(36)}${(state.started++).toString(36)}`.replace(
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

/** Replaces one container with a new instance: a new id, restartCount + 1. */
export async function restartContainer(
  state: KubeletState,
  key: string,
  old: RunningContainer,
  spec: ContainerSpec,
  lastTerminated: RunningContainer['lastTerminated'],
): Promise<RunningContainer> {
  const [namespace, name] = key.split('/') as [string, string];
  const next = await startContainer(state, namespace, name, spec);
  return { ...next, restartCount: old.restartCount + 1, ...(lastTerminated ? { lastTerminated } : {}) };
}
