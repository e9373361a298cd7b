// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/sdk';

import type { RunResult } from '../process/runCommand.js';
import {
  type ContainerRuntimeClient,
  type ExecOptions,
  parseContainerId,
  type RuntimeName,
  RUNTIME_PREFIXES,
} from './ContainerRuntime.js';

/** Resolves prefixed container ids (`containerd://…`) through the configured runtime clients. */
export interface RuntimeResolver {
  /** Names of the configured runtimes. */
  readonly runtimes: RuntimeName[];
  /** The client for a prefixed container id; a runtime that is not configured is an error. */
  clientFor(containerId: string): { client: ContainerRuntimeClient; bareId: string };
  /** Host PID of the container's init process. */
  pidOf(containerId: string, signal?: AbortSignal): Promise<{ pid: number; runtime: RuntimeName }>;
  /** Sends a signal to the container's init process. */
  kill(containerId: string, signalName: NodeJS.Signals, signal?: AbortSignal): Promise<void>;
  /** Runs a process in the container through its runtime's exec API (see {@link ContainerRuntimeClient.exec}). */
  exec(containerId: string, options: ExecOptions): Promise<RunResult>;
  /** Pings every runtime (2 s each at most). */
  health(signal?: AbortSignal): Promise<{ runtime: RuntimeName; reachable: boolean; error: string }[]>;
  /** Closes every client. */
  close(): void;
}

/** Options of {@link createRuntimeResolver}. */
export interface RuntimeResolverOptions {
  /**
   * Added to the environment of every exec (the daemon's run-owner marker, so a restarted daemon
   * finds and kills what its crashed predecessor left running in containers).
   */
  execEnv?: Readonly<Record<string, string>>;
}

/**
 * Chooses the runtime from the container-id prefix. When the id names a runtime this node is not
 * configured for, the error says what was expected and what was found, the mismatch behind
 * Chaos Mesh's most common runtime complaint.
 */
export function createRuntimeResolver(
  clients: ContainerRuntimeClient[],
  options: RuntimeResolverOptions = {},
): RuntimeResolver {
  const byName = new Map(clients.map(c => [c.name, c]));
  const runtimes = [...byName.keys()];

  function clientFor(containerId: string): { client: ContainerRuntimeClient; bareId: string } {
    const { runtime, bareId } = parseContainerId(containerId);
    const client = byName.get(runtime);
    if (!client) {
      const expected = runtimes.map(r => RUNTIME_PREFIXES[r]).join(' or ') || 'no runtime (none configured)';
      throw new ChaosplaneError(
        'invalid',
        `containerId ${JSON.stringify(containerId)}: expected ${expected} (this daemon's runtimes: ` +
          `${runtimes.join(', ') || 'none'}) but found ${RUNTIME_PREFIXES[runtime]}; ` +
          `configure the ${runtime} socket on this node's daemon`,
        { field: 'containerId' },
      );
    }
    return { client, bareId };
  }

  return {
    runtimes,
    clientFor,
    async pidOf(containerId, signal) {
      const { client, bareId } = clientFor(containerId);
      return { pid: await client.pidOf(bareId, signal), runtime: client.name };
    },
    async kill(containerId, signalName, signal) {
      const { client, bareId } = clientFor(containerId);
      await client.kill(bareId, signalName, signal);
    },
    exec(containerId, execOptions) {
      const { client, bareId } = clientFor(containerId);
      const env = { ...execOptions.env, ...options.execEnv };
      return client.exec(bareId, Object.keys(env).length > 0 ? { ...execOptions, env } : execOptions);
    },
    health(signal) {
      return Promise.all(
        clients.map(async client => {
          const limit = AbortSignal.any([AbortSignal.timeout(2000), ...(signal ? [signal] : [])]);
          try {
            await client.ping(limit);
            return { runtime: client.name, reachable: true, error: '' };
          } catch (error) {
            return { runtime: client.name, reachable: false, error: (error as Error).message };
          }
        }),
      );
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}
