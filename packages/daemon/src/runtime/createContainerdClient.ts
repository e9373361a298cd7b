// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/core';
import { type Channel, ClientError, createChannel, createClient, Metadata, Status } from 'nice-grpc';

import { ContainersDefinition } from '../gen/containerd/services/containers/v1/containers.js';
import { TasksDefinition } from '../gen/containerd/services/tasks/v1/tasks.js';
import { Status as TaskStatus } from '../gen/containerd/types/task.js';
import { type ContainerRuntimeClient, type RuntimeContainer, signalNumber } from './ContainerRuntime.js';

/** Options of {@link createContainerdClient}. */
export interface ContainerdClientOptions {
  /** Path of containerd's gRPC socket; `/run/containerd/containerd.sock` by default. */
  socketPath?: string;
  /** containerd namespace; `k8s.io` (the kubelet's) by default. */
  namespace?: string;
}

/**
 * A containerd client over its gRPC API on the unix socket (tasks and containers services),
 * scoped to one namespace through the `containerd-namespace` metadata.
 */
export function createContainerdClient(options: ContainerdClientOptions = {}): ContainerRuntimeClient {
  const socketPath = options.socketPath ?? '/run/containerd/containerd.sock';
  const namespace = options.namespace ?? 'k8s.io';
  const channel: Channel = createChannel(`unix://${socketPath}`);
  const defaults = { '*': { metadata: Metadata({ 'containerd-namespace': namespace }) } };
  const tasks = createClient(TasksDefinition, channel, defaults);
  const containers = createClient(ContainersDefinition, channel, defaults);
  const where = `containerd namespace ${namespace} (socket ${socketPath})`;

  function runtimeError(action: string, error: unknown): ChaosplaneError {
    if (ChaosplaneError.is(error)) return error;
    const detail = error instanceof ClientError ? error.details : String(error);
    return new ChaosplaneError('runtime', `containerd ${action} failed in ${where}: ${detail}`, {
      cause: error,
    });
  }

  async function containerExists(bareId: string, signal?: AbortSignal): Promise<boolean> {
    const listed = await containers.list({ filters: [`id==${bareId}`] }, { signal });
    return listed.containers.some(c => c.id === bareId);
  }

  return {
    name: 'containerd',

    async pidOf(bareId, signal) {
      try {
        const { process } = await tasks.get({ containerId: bareId }, { signal });
        if (!process) throw new ChaosplaneError('runtime', `containerd returned no process for ${bareId}`);
        if (process.status !== TaskStatus.RUNNING && process.status !== TaskStatus.PAUSED) {
          throw new ChaosplaneError(
            'not-found',
            `container containerd://${bareId} is not running (task status ${TaskStatus[process.status] ?? process.status}` +
              `, exit status ${process.exitStatus}) in ${where}`,
          );
        }
        return process.pid;
      } catch (error) {
        if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
          const exists = await containerExists(bareId, signal).catch(() => false);
          throw new ChaosplaneError(
            'not-found',
            exists
              ? `container containerd://${bareId} exists but has no task (never started or deleted) in ${where}`
              : `container containerd://${bareId} not found in ${where}`,
            { cause: error },
          );
        }
        throw runtimeError(`Tasks.Get(${bareId})`, error);
      }
    },

    async kill(bareId, signalName, signal) {
      const number = signalNumber(signalName);
      try {
        await tasks.kill({ containerId: bareId, signal: number, all: false }, { signal });
      } catch (error) {
        if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
          throw new ChaosplaneError('not-found', `container containerd://${bareId} has no task in ${where}`, {
            cause: error,
          });
        }
        throw runtimeError(`Tasks.Kill(${bareId})`, error);
      }
    },

    async list(signal) {
      try {
        // A task's id is its container's id; containerId is often left empty in List.
        const [listed, running] = await Promise.all([
          containers.list({ filters: [] }, { signal }),
          tasks.list({ filter: '' }, { signal }),
        ]);
        const byId = new Map(running.tasks.map(t => [t.containerId || t.id, t]));
        return listed.containers.map((c): RuntimeContainer => {
          const task = byId.get(c.id);
          const isRunning = task?.status === TaskStatus.RUNNING || task?.status === TaskStatus.PAUSED;
          return {
            id: `containerd://${c.id}`,
            running: isRunning,
            ...(isRunning && task ? { pid: task.pid } : {}),
            labels: { ...c.labels },
          };
        });
      } catch (error) {
        throw runtimeError('list', error);
      }
    },

    async ping(signal) {
      try {
        await containers.list({ filters: ['id==chaosplane-health-probe'] }, { signal });
      } catch (error) {
        throw runtimeError('ping', error);
      }
    },

    close() {
      channel.close();
    },
  };
}
