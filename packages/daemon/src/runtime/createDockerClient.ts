// SPDX-License-Identifier: Apache-2.0
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';

import { ChaosplaneError } from '@chaosplane/sdk';

import type { RunResult } from '../process/runCommand.js';
import {
  checkExecArgv,
  type ContainerRuntimeClient,
  type ExecOptions,
  signalNumber,
  startExecDeadline,
} from './ContainerRuntime.js';
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

interface ExecInspectBody {
  Running?: boolean;
  ExitCode?: number | null;
  /** Host PID of the exec'd process while it runs. */
  Pid?: number;
}

// After the stream ended, how long Docker may take to record the exit code.
const EXIT_CODE_WAIT_MS = 2000;
// After a SIGKILL, how long until Docker must have closed the stream.
const KILL_WAIT_MS = 5000;

/**
 * A Docker client over the Engine API on its unix socket: `GET /containers/ID/json` for the
 * PID (`State.Pid`), `POST /containers/ID/kill`, `GET /containers/json?all=1` to list, and
 * `POST /containers/ID/exec` + a hijacked `POST /exec/ID/start` to exec.
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

    exec(bareId, execOptions) {
      return dockerExec({ socketPath, call, failure }, bareId, execOptions);
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

// ---------------------------------------------------------------------------------------------
// exec: create an exec instance (the container's user, capabilities, env, cwd, cgroup and
// security profile are Docker's defaults for it), start it on a hijacked connection, read the
// multiplexed stream, then read its exit code. Docker keeps nothing beyond the exec instance.

interface DockerContext {
  socketPath: string;
  call(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<UnixHttpResponse>;
  failure(response: UnixHttpResponse, what: string, bareId: string): ChaosplaneError;
}

async function dockerExec(ctx: DockerContext, bareId: string, options: ExecOptions): Promise<RunResult> {
  const argv = checkExecArgv(options.argv);
  const deadline = startExecDeadline(`exec of ${argv[0]} in docker://${bareId}`, options);
  let socket: net.Socket | undefined;
  try {
    if (deadline.signal.aborted) throw deadline.error();
    const execId = await createExec(ctx, bareId, argv, options);
    if (deadline.signal.aborted) throw deadline.error();
    socket = await startExec(ctx.socketPath, execId);
    const output = readMultiplexed(socket, options.maxOutputBytes ?? 1024 * 1024);
    // Half-closing our side is how Docker learns stdin ended (it then closes the process's).
    if (options.stdin !== undefined) socket.end(options.stdin);
    const first = await Promise.race([output, aborted(deadline.signal)]);
    if (first === 'stopped') {
      await killExecProcess(ctx, bareId, execId);
      await Promise.race([output, delay(KILL_WAIT_MS)]);
      throw deadline.error();
    }
    return { ...first, exitCode: await exitCodeOf(ctx, bareId, execId), signal: null };
  } finally {
    socket?.destroy();
    deadline.dispose();
  }
}

function aborted(signal: AbortSignal): Promise<'stopped'> {
  return new Promise(resolve => {
    if (signal.aborted) resolve('stopped');
    signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

/** One JSON request (the Engine API's exec create and start take a body). */
function postJson(
  socketPath: string,
  path: string,
  body: unknown,
  upgrade: boolean,
): Promise<{ response: http.IncomingMessage; socket?: net.Socket }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request({
      socketPath,
      method: 'POST',
      path,
      agent: false,
      headers: {
        host: 'localhost',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...(upgrade ? { connection: 'Upgrade', upgrade: 'tcp' } : {}),
      },
    });
    request.on('upgrade', (response, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ response, socket: socket as net.Socket });
    });
    request.on('response', response => resolve({ response }));
    request.on('error', reject);
    request.end(payload);
  });
}

async function readBody(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function createExec(
  ctx: DockerContext,
  bareId: string,
  argv: string[],
  options: ExecOptions,
): Promise<string> {
  const path = `/containers/${encodeURIComponent(bareId)}/exec`;
  let status: number;
  let body: string;
  try {
    // No User, WorkingDir or Privileged: Docker then uses the container's own. Env is added to
    // the container's (a name in both takes the exec's value).
    const env = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`);
    const { response } = await postJson(
      ctx.socketPath,
      path,
      {
        AttachStdin: options.stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Cmd: argv,
        ...(env.length > 0 ? { Env: env } : {}),
      },
      false,
    );
    status = response.statusCode ?? 0;
    body = await readBody(response);
  } catch (error) {
    throw new ChaosplaneError(
      'runtime',
      `Docker Engine API POST ${path} on ${ctx.socketPath} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (status !== 201) throw ctx.failure({ status, body }, 'exec create', bareId);
  const id = (JSON.parse(body) as { Id?: unknown }).Id;
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) {
    throw new ChaosplaneError('runtime', `Docker answered exec create of ${bareId} without an exec id`);
  }
  return id;
}

/** Starts the exec on a hijacked connection (101 Upgrade: tcp): stdin in, multiplexed output out. */
async function startExec(socketPath: string, execId: string): Promise<net.Socket> {
  const path = `/exec/${execId}/start`;
  let started: { response: http.IncomingMessage; socket?: net.Socket };
  try {
    started = await postJson(socketPath, path, { Detach: false, Tty: false }, true);
  } catch (error) {
    throw new ChaosplaneError(
      'runtime',
      `Docker Engine API POST ${path} on ${socketPath} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (started.socket) return started.socket;
  const body = await readBody(started.response).catch(() => '');
  throw new ChaosplaneError(
    'runtime',
    `Docker answered exec start with ${started.response.statusCode} instead of a hijacked stream: ${parseMessage(body)}`,
  );
}

/**
 * Reads Docker's multiplexed stream until it ends: frames of an 8-byte header (stream type 1
 * stdout or 2 stderr, three zero bytes, big-endian uint32 length) and that many bytes.
 */
function readMultiplexed(
  socket: net.Socket,
  maxBytes: number,
): Promise<{ stdout: string; stderr: string; truncated: boolean }> {
  const streams = { 1: { chunks: [] as Buffer[], bytes: 0 }, 2: { chunks: [] as Buffer[], bytes: 0 } };
  let truncated = false;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8 && pending.length >= 8 + pending.readUInt32BE(4)) {
      const size = pending.readUInt32BE(4);
      const stream = pending[0] === 1 || pending[0] === 2 ? streams[pending[0]] : undefined;
      if (stream && stream.bytes < maxBytes)
        stream.chunks.push(pending.subarray(8, 8 + Math.min(size, maxBytes - stream.bytes)));
      if (stream && stream.bytes + size > maxBytes) truncated = true;
      if (stream) stream.bytes += size;
      pending = pending.subarray(8 + size);
    }
  });
  return new Promise(resolve => {
    const done = (): void =>
      resolve({
        stdout: Buffer.concat(streams[1].chunks).toString('utf8'),
        stderr: Buffer.concat(streams[2].chunks).toString('utf8'),
        truncated,
      });
    // EPIPE on stdin when the process exits without reading it all: the output still counts.
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

async function inspectExec(ctx: DockerContext, bareId: string, execId: string): Promise<ExecInspectBody> {
  const response = await ctx.call('GET', `/exec/${execId}/json`);
  if (response.status !== 200) throw ctx.failure(response, 'exec inspect', bareId);
  return JSON.parse(response.body) as ExecInspectBody;
}

/**
 * The exit code once Docker recorded it (the stream can end a moment before). A loop of its
 * own: the daemon does not depend on @chaosplane/dev, where `eventually` lives, and a failed
 * inspect must fail at once rather than be retried.
 */
async function exitCodeOf(ctx: DockerContext, bareId: string, execId: string): Promise<number | null> {
  const until = Date.now() + EXIT_CODE_WAIT_MS;
  for (;;) {
    const inspected = await inspectExec(ctx, bareId, execId);
    if (!inspected.Running && typeof inspected.ExitCode === 'number') return inspected.ExitCode;
    if (Date.now() > until) {
      throw new ChaosplaneError('runtime', `Docker recorded no exit code for exec ${execId} in ${bareId}`);
    }
    await delay(20);
  }
}

/**
 * SIGKILLs the exec'd process: the Engine API has no call for it, so through its host PID
 * (`Pid` of the exec inspect). The PID is checked to be in the container's cgroup (same
 * /proc/PID/cgroup as the container's init) just before the kill: a PID that was recycled for a
 * process outside the container, or a daemon that does not see host PIDs, fails the check and
 * nothing is killed. The pid namespace would not do: a hostPID container shares the host's.
 */
async function killExecProcess(ctx: DockerContext, bareId: string, execId: string): Promise<void> {
  const exec = await inspectExec(ctx, bareId, execId).catch(() => undefined);
  if (!exec?.Running || !exec.Pid || exec.Pid <= 0) return;
  const container = await ctx
    .call('GET', `/containers/${encodeURIComponent(bareId)}/json`)
    .catch(() => undefined);
  const initPid =
    container?.status === 200 ? ((JSON.parse(container.body) as InspectBody).State?.Pid ?? 0) : 0;
  if (initPid <= 0) return;
  const [execCgroup, initCgroup] = await Promise.all([
    readFile(`/proc/${exec.Pid}/cgroup`, 'utf8').catch(() => undefined),
    readFile(`/proc/${initPid}/cgroup`, 'utf8').catch(() => undefined),
  ]);
  if (execCgroup === undefined || execCgroup !== initCgroup) return;
  try {
    process.kill(exec.Pid, 'SIGKILL');
  } catch {
    // Exited meanwhile.
  }
}
