// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/core';
import { type Channel, ClientError, createChannel, createClient, Status } from 'nice-grpc';

import { ContainerState, RuntimeServiceDefinition } from '../gen/cri/runtime/v1/cri.js';
import { type ContainerRuntimeClient, signalNumber } from './ContainerRuntime.js';

/** Options of {@link createCrioClient}. */
export interface CrioClientOptions {
  /** Path of CRI-O's socket; `/var/run/crio/crio.sock` by default. */
  socketPath?: string;
}

/**
 * A CRI-O client over the Kubernetes CRI API (runtime.v1.RuntimeService) on CRI-O's socket:
 * `ContainerStatus` with `verbose` gives the PID in `info.info` (JSON, field `pid`),
 * `ListContainers` lists, and a kill sends the signal to that PID from the host PID namespace
 * (the daemon runs with hostPID), as CRI has no signal call.
 */
export function createCrioClient(options: CrioClientOptions = {}): ContainerRuntimeClient {
  const socketPath = options.socketPath ?? '/var/run/crio/crio.sock';
  const channel: Channel = createChannel(`unix://${socketPath}`);
  const cri = createClient(RuntimeServiceDefinition, channel);

  async function pidOf(bareId: string, signal?: AbortSignal): Promise<number> {
    let response;
    try {
      response = await cri.containerStatus({ containerId: bareId, verbose: true }, { signal });
    } catch (error) {
      if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
        throw new ChaosplaneError(
          'not-found',
          `container cri-o://${bareId} not found by CRI-O (${socketPath})`,
          {
            cause: error,
          },
        );
      }
      throw new ChaosplaneError(
        'runtime',
        `CRI ContainerStatus(${bareId}) on ${socketPath} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    const state = response.status?.state ?? ContainerState.CONTAINER_UNKNOWN;
    if (state !== ContainerState.CONTAINER_RUNNING) {
      throw new ChaosplaneError(
        'not-found',
        `container cri-o://${bareId} is not running (state ${ContainerState[state] ?? state})`,
      );
    }
    const info = response.info['info'];
    let pid = 0;
    try {
      pid = Number((JSON.parse(info ?? '{}') as { pid?: unknown }).pid ?? 0);
    } catch {
      pid = 0;
    }
    if (!Number.isInteger(pid) || pid <= 0) {
      throw new ChaosplaneError('runtime', `CRI-O gave no pid in the verbose status of ${bareId}`);
    }
    return pid;
  }

  return {
    name: 'cri-o',
    pidOf,

    async kill(bareId, signalName, signal) {
      const number = signalNumber(signalName);
      const pid = await pidOf(bareId, signal);
      process.kill(pid, number);
    },

    async list(signal) {
      try {
        const { containers } = await cri.listContainers({}, { signal });
        return containers.map(c => ({
          id: `cri-o://${c.id}`,
          running: c.state === ContainerState.CONTAINER_RUNNING,
          labels: { ...c.labels },
        }));
      } catch (error) {
        throw new ChaosplaneError('runtime', `CRI ListContainers on ${socketPath} failed: ${String(error)}`, {
          cause: error,
        });
      }
    },

    async ping(signal) {
      try {
        await cri.listContainers({ filter: { id: 'chaosplane-health-probe' } }, { signal });
      } catch (error) {
        throw new ChaosplaneError('runtime', `CRI-O on ${socketPath} is unreachable: ${String(error)}`, {
          cause: error,
        });
      }
    },

    close() {
      channel.close();
    },
  };
}
