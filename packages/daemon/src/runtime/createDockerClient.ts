// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/core';

import { type ContainerRuntimeClient, signalNumber } from './ContainerRuntime.js';
import { unixHttpRequest, type UnixHttpResponse } from './unixHttp.js';

/** Options of {@link createDockerClient}. */
export interface DockerClientOptions {
  /** Path of the Docker Engine socket; `/var/run/docker.sock` by default. */
  socketPath?: string;
}

interface InspectBody {
  State?: { Pid?: number; Running?: boolean; Status?: string };
}

interface ListedContainer {
  Id: string;
  State?: string;
  Labels?: Record<string, string> | null;
}

/**
 * A Docker client over the Engine API on its unix socket: `GET /containers/ID/json` for the
 * PID (`State.Pid`), `POST /containers/ID/kill`, `GET /containers/json?all=1` to list.
 */
export function createDockerClient(options: DockerClientOptions = {}): ContainerRuntimeClient {
  const socketPath = options.socketPath ?? '/var/run/docker.sock';

  async function call(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<UnixHttpResponse> {
    try {
      return await unixHttpRequest(socketPath, method, path, signal);
    } catch (error) {
      throw new ChaosplaneError(
        'runtime',
        `Docker Engine API ${method} ${path} on ${socketPath} failed: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  function failure(response: UnixHttpResponse, what: string, bareId: string): ChaosplaneError {
    const message = parseMessage(response.body);
    if (response.status === 404) {
      return new ChaosplaneError(
        'not-found',
        `container docker://${bareId} not found by Docker (${socketPath}): ${message}`,
      );
    }
    if (response.status === 409) {
      return new ChaosplaneError('not-found', `container docker://${bareId} is not running: ${message}`);
    }
    return new ChaosplaneError(
      'runtime',
      `Docker ${what} of ${bareId} answered ${response.status}: ${message}`,
    );
  }

  return {
    name: 'docker',

    async pidOf(bareId, signal) {
      const response = await call('GET', `/containers/${encodeURIComponent(bareId)}/json`, signal);
      if (response.status !== 200) throw failure(response, 'inspect', bareId);
      const body = JSON.parse(response.body) as InspectBody;
      const pid = body.State?.Pid ?? 0;
      if (!body.State?.Running || pid <= 0) {
        throw new ChaosplaneError(
          'not-found',
          `container docker://${bareId} is not running (status ${body.State?.Status ?? 'unknown'})`,
        );
      }
      return pid;
    },

    async kill(bareId, signalName, signal) {
      signalNumber(signalName);
      const response = await call(
        'POST',
        `/containers/${encodeURIComponent(bareId)}/kill?signal=${encodeURIComponent(signalName)}`,
        signal,
      );
      if (response.status !== 204 && response.status !== 200) throw failure(response, 'kill', bareId);
    },

    async list(signal) {
      const response = await call('GET', '/containers/json?all=1', signal);
      if (response.status !== 200) throw failure(response, 'list', '*');
      const listed = JSON.parse(response.body) as ListedContainer[];
      return listed.map(c => ({
        id: `docker://${c.Id}`,
        running: c.State === 'running',
        labels: { ...(c.Labels ?? {}) },
      }));
    },

    async ping(signal) {
      const response = await call('GET', '/_ping', signal);
      if (response.status !== 200) {
        throw new ChaosplaneError(
          'runtime',
          `Docker on ${socketPath} answered /_ping with ${response.status}`,
        );
      }
    },

    close() {},
  };
}

function parseMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 200);
}
