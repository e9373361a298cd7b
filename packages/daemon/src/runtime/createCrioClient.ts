// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/sdk';
import { type Channel, ClientError, createChannel, createClient, Status } from 'nice-grpc';

import {
  ContainerState,
  ExecSyncRequest,
  ExecSyncResponse,
  RuntimeServiceDefinition,
} from '../gen/cri/runtime/v1/cri.js';
import type { RunResult } from '../process/runCommand.js';
import {
  type ContainerRuntimeClient,
  checkExecArgv,
  type ExecOptions,
  execStartFailure,
  signalNumber,
} from './ContainerRuntime.js';

/**
 * CRI's `runtime.v1.RuntimeService/ExecSync` (same service name, same wire path), bound by hand
 * next to the generated RuntimeService so that endpoints serving only its other calls stay
 * valid nice-grpc implementations. A simulated CRI endpoint adds it as a second service.
 */
export const CriExecSyncDefinition = {
  name: 'RuntimeService',
  fullName: 'runtime.v1.RuntimeService',
  methods: {
    execSync: {
      name: 'ExecSync',
      requestType: ExecSyncRequest,
      requestStream: false,
      responseType: ExecSyncResponse,
      responseStream: false,
      options: {},
    },
  },
} as const;

/** Options of {@link createCrioClient}. */
export interface CrioClientOptions {
  /** Path of CRI-O's socket; `/var/run/crio/crio.sock` by default. */
  socketPath?: string;
}

/**
 * A CRI-O client over the Kubernetes CRI API (runtime.v1.RuntimeService) on CRI-O's socket:
 * `ContainerStatus` with `verbose` gives the PID in `info.info` (JSON, field `pid`),
 * `ListContainers` lists, and a kill sends the signal to that PID from the host PID namespace
 * (the daemon runs with hostPID), as CRI has no signal call. `ExecSync` execs (no stdin).
 */
export function createCrioClient(options: CrioClientOptions = {}): ContainerRuntimeClient {
  const socketPath = options.socketPath ?? '/var/run/crio/crio.sock';
  const channel: Channel = createChannel(`unix://${socketPath}`);
  const cri = createClient(RuntimeServiceDefinition, channel);
  const criExec = createClient(CriExecSyncDefinition, channel);

  const pidOf = (bareId: string, signal?: AbortSignal): Promise<number> =>
    crioPid(cri, socketPath, bareId, signal);

  return {
    name: 'cri-o',
    pidOf,

    async kill(bareId, signalName, signal) {
      const number = signalNumber(signalName);
      const pid = await pidOf(bareId, signal);
      process.kill(pid, number);
    },

    exec: (bareId, execOptions) => crioExec(criExec, socketPath, bareId, execOptions),

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

type CriClient = ReturnType<typeof createClient<typeof RuntimeServiceDefinition>>;
type CriExecClient = ReturnType<typeof createClient<typeof CriExecSyncDefinition>>;

/** Host PID of a running container, from its verbose ContainerStatus. */
async function crioPid(
  cri: CriClient,
  socketPath: string,
  bareId: string,
  signal?: AbortSignal,
): Promise<number> {
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

function checkExec(options: ExecOptions): string[] {
  const argv = checkExecArgv(options.argv);
  if (options.stdin !== undefined) {
    throw new ChaosplaneError(
      'invalid',
      "stdin cannot be given for a cri-o:// container: CRI-O's ExecSync has no stdin",
      { field: 'stdin' },
    );
  }
  return argv;
}

function capped(data: Buffer, maxBytes: number): { text: string; truncated: boolean } {
  return { text: data.subarray(0, maxBytes).toString('utf8'), truncated: data.length > maxBytes };
}

/**
 * CRI `ExecSync`, as the kubelet runs exec probes: CRI-O runs the command with the container's
 * user, capabilities, environment and security profile, kills it after `timeout` seconds, and
 * answers with its output and exit code. CRI has no call to kill an exec: on cancel the call is
 * dropped and the process is left to CRI-O's timeout (rounded up to whole seconds), which is
 * therefore always set.
 */
async function crioExec(
  cri: CriExecClient,
  socketPath: string,
  bareId: string,
  options: ExecOptions,
): Promise<RunResult> {
  const argv = checkExec(options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  const what = `exec of ${argv[0]} in cri-o://${bareId}`;
  const call = new AbortController();
  let reason: string | undefined;
  const stop = (why: string): void => {
    reason ??= why;
    call.abort();
  };
  const onAbort = (): void => stop('the call was cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop(`it ran longer than ${timeoutMs} ms`), timeoutMs);
  try {
    if (reason !== undefined) throw new ChaosplaneError('aborted', `${what} was stopped: ${reason}`);
    const response = await cri.execSync(
      { containerId: bareId, cmd: argv, timeout: Math.max(1, Math.ceil(timeoutMs / 1000)) },
      { signal: call.signal },
    );
    const stdout = capped(response.stdout, maxBytes);
    const stderr = capped(response.stderr, maxBytes);
    return {
      stdout: stdout.text,
      stderr: stderr.text,
      exitCode: response.exitCode,
      signal: null,
      truncated: stdout.truncated || stderr.truncated,
    };
  } catch (error) {
    throw crioExecError(error, { what, program: argv[0] ?? '', bareId, socketPath }, reason);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function crioExecError(
  error: unknown,
  {
    what,
    program,
    bareId,
    socketPath,
  }: { what: string; program: string; bareId: string; socketPath: string },
  reason: string | undefined,
): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  if (reason !== undefined)
    return new ChaosplaneError('aborted', `${what} was stopped: ${reason}`, { cause: error });
  if (error instanceof ClientError && error.code === Status.DEADLINE_EXCEEDED) {
    return new ChaosplaneError('aborted', `${what} was stopped by CRI-O's timeout: ${error.details}`, {
      cause: error,
    });
  }
  if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
    // CRI-O answers NotFound both for an unknown container and for one that is not running.
    return new ChaosplaneError(
      'not-found',
      `container cri-o://${bareId} not found or not running (CRI-O, ${socketPath}): ${error.details}`,
      { cause: error },
    );
  }
  const startFailure =
    error instanceof ClientError && error.code !== Status.UNAVAILABLE
      ? execStartFailure(program, `cri-o://${bareId}`, error.details, error)
      : undefined;
  return (
    startFailure ??
    new ChaosplaneError('runtime', `CRI ExecSync(${bareId}) on ${socketPath} failed: ${String(error)}`, {
      cause: error,
    })
  );
}
