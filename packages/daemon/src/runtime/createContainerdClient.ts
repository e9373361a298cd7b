// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { ChaosplaneError } from '@chaosplane/sdk';
import { type Channel, ClientError, createChannel, createClient, Metadata, Status } from 'nice-grpc';

import { ContainersDefinition } from '../gen/containerd/services/containers/v1/containers.js';
import { TasksDefinition } from '../gen/containerd/services/tasks/v1/tasks.js';
import { Status as TaskStatus } from '../gen/containerd/types/task.js';
import type { RunResult } from '../process/runCommand.js';
import {
  checkExecArgv,
  type ContainerRuntimeClient,
  type ExecDeadline,
  type ExecOptions,
  execStartFailure,
  type RuntimeContainer,
  signalNumber,
  startExecDeadline,
} from './ContainerRuntime.js';

/** Options of {@link createContainerdClient}. */
export interface ContainerdClientOptions {
  /** Path of containerd's gRPC socket; `/run/containerd/containerd.sock` by default. */
  socketPath?: string;
  /** containerd namespace; `k8s.io` (the kubelet's) by default. */
  namespace?: string;
  /**
   * Where each exec makes its private directory of stdio FIFOs; os.tmpdir() by default. The
   * containerd shim opens the FIFOs by path in the host's mount namespace, so a daemon in a pod
   * must use a directory with the same path on the host and in the pod (a hostPath such as the
   * state directory); os.tmpdir() is right only when the daemon shares the host's mounts.
   */
  fifoDir?: string;
}

// The type containerd's Exec expects in its Any: an OCI process spec as JSON (what ctr and the
// CRI plugin send for runc).
const PROCESS_SPEC_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
// After the process exited, how long the shim may take to copy what is left in its pipes.
const OUTPUT_DRAIN_MS = 2000;
// After a SIGKILL, how long until Wait must have seen the exit.
const KILL_WAIT_MS = 5000;
// The shim's DeleteProcess waits up to 10 s for the process's output to be copied.
const DELETE_TIMEOUT_MS = 15_000;

interface ContainerdContext {
  tasks: ReturnType<typeof createClient<typeof TasksDefinition>>;
  containers: ReturnType<typeof createClient<typeof ContainersDefinition>>;
  where: string;
  fifoDir: string;
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
  const ctx: ContainerdContext = {
    tasks: createClient(TasksDefinition, channel, defaults),
    containers: createClient(ContainersDefinition, channel, defaults),
    where: `containerd namespace ${namespace} (socket ${socketPath})`,
    fifoDir: options.fifoDir ?? os.tmpdir(),
  };
  const { tasks, containers, where } = ctx;

  return {
    name: 'containerd',

    pidOf: (bareId, signal) => taskPid(ctx, bareId, signal),

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
        throw runtimeError(ctx, `Tasks.Kill(${bareId})`, error);
      }
    },

    exec: (bareId, execOptions) => execInContainer(ctx, bareId, execOptions),

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
        throw runtimeError(ctx, 'list', error);
      }
    },

    async ping(signal) {
      try {
        await containers.list({ filters: ['id==chaosplane-health-probe'] }, { signal });
      } catch (error) {
        throw runtimeError(ctx, 'ping', error);
      }
    },

    close() {
      channel.close();
    },
  };
}

function runtimeError(ctx: ContainerdContext, action: string, error: unknown): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  const detail = error instanceof ClientError ? error.details : String(error);
  return new ChaosplaneError('runtime', `containerd ${action} failed in ${ctx.where}: ${detail}`, {
    cause: error,
  });
}

async function containerExists(
  ctx: ContainerdContext,
  bareId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const listed = await ctx.containers.list({ filters: [`id==${bareId}`] }, { signal });
  return listed.containers.some(c => c.id === bareId);
}

async function taskPid(ctx: ContainerdContext, bareId: string, signal?: AbortSignal): Promise<number> {
  try {
    const { process } = await ctx.tasks.get({ containerId: bareId }, { signal });
    if (!process) throw new ChaosplaneError('runtime', `containerd returned no process for ${bareId}`);
    if (process.status !== TaskStatus.RUNNING && process.status !== TaskStatus.PAUSED) {
      throw new ChaosplaneError(
        'not-found',
        `container containerd://${bareId} is not running (task status ${TaskStatus[process.status] ?? process.status}` +
          `, exit status ${process.exitStatus}) in ${ctx.where}`,
      );
    }
    return process.pid;
  } catch (error) {
    if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
      const exists = await containerExists(ctx, bareId, signal).catch(() => false);
      throw new ChaosplaneError(
        'not-found',
        exists
          ? `container containerd://${bareId} exists but has no task (never started or deleted) in ${ctx.where}`
          : `container containerd://${bareId} not found in ${ctx.where}`,
        { cause: error },
      );
    }
    throw runtimeError(ctx, `Tasks.Get(${bareId})`, error);
  }
}

// ---------------------------------------------------------------------------------------------
// exec: Tasks.Exec with the container's own process spec, FIFOs for stdio, Start, Wait, Delete.

async function execInContainer(
  ctx: ContainerdContext,
  bareId: string,
  options: ExecOptions,
): Promise<RunResult> {
  const argv = checkExecArgv(options.argv);
  const deadline = startExecDeadline(`exec of ${argv[0]} in containerd://${bareId}`, options);
  try {
    if (deadline.signal.aborted) throw deadline.error();
    // Not running (or unknown) fails with kind not-found before anything is created.
    await taskPid(ctx, bareId, deadline.signal);
    const spec = await execProcessSpec(ctx, bareId, argv, deadline.signal);
    return await runExec(ctx, bareId, spec, options, deadline);
  } catch (error) {
    if (deadline.signal.aborted && !ChaosplaneError.isKind(error, 'aborted')) throw deadline.error();
    throw error;
  } finally {
    deadline.dispose();
  }
}

/**
 * The container's own OCI process spec with only `args` (and `terminal`) replaced: that is what
 * gives the exec the container's user, groups, capabilities, environment, working directory,
 * rlimits, noNewPrivileges and AppArmor/SELinux labels, as the CRI plugin does for `kubectl exec`.
 * Seccomp and the cgroup are the container's through runc exec itself.
 */
async function execProcessSpec(
  ctx: ContainerdContext,
  bareId: string,
  argv: string[],
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  let spec: { process?: unknown } | undefined;
  try {
    const { container } = await ctx.containers.get({ id: bareId }, { signal });
    spec = container?.spec
      ? (JSON.parse(container.spec.value.toString('utf8')) as { process?: unknown })
      : undefined;
  } catch (error) {
    if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
      throw new ChaosplaneError('not-found', `container containerd://${bareId} not found in ${ctx.where}`, {
        cause: error,
      });
    }
    throw runtimeError(ctx, `Containers.Get(${bareId})`, error);
  }
  if (typeof spec?.process !== 'object' || spec.process === null) {
    throw new ChaosplaneError(
      'runtime',
      `container containerd://${bareId} has no OCI process spec in ${ctx.where}`,
    );
  }
  return { ...(spec.process as Record<string, unknown>), args: argv, terminal: false };
}

async function runExec(
  ctx: ContainerdContext,
  bareId: string,
  spec: Record<string, unknown>,
  options: ExecOptions,
  deadline: ExecDeadline,
): Promise<RunResult> {
  const fifos = await makeFifos(ctx.fifoDir, options.stdin !== undefined);
  const ids = { containerId: bareId, execId: `chaosplane-exec-${randomBytes(8).toString('hex')}` };
  const state = { created: false, mayRun: false, deleted: false };
  let io: ExecIo | undefined;
  try {
    io = startExecIo(fifos, options.stdin, options.maxOutputBytes ?? 1024 * 1024);
    await ctx.tasks.exec({
      ...ids,
      stdin: fifos.stdin ?? '',
      stdout: fifos.stdout,
      stderr: fifos.stderr,
      terminal: false,
      spec: { typeUrl: PROCESS_SPEC_TYPE, value: Buffer.from(JSON.stringify(spec)) },
    });
    state.created = true;
    if (deadline.signal.aborted) throw deadline.error();
    // From here on the shim may have started it, even if Start fails on the way back.
    state.mayRun = true;
    await ctx.tasks.start(ids);
    // The shim keeps its own writer on the stdin FIFO until CloseIO, so closing ours is not enough.
    void io
      .feedStdin()
      .then(() => ctx.tasks.closeIO({ ...ids, stdin: true }))
      .catch(() => undefined);
    const exitStatus = await waitOrKill(ctx, ids, deadline);
    state.mayRun = false;
    const output = await io.drain(OUTPUT_DRAIN_MS);
    await ctx.tasks.deleteProcess(ids, { signal: AbortSignal.timeout(DELETE_TIMEOUT_MS) });
    state.deleted = true;
    return { ...output, exitCode: exitStatus, signal: null };
  } catch (error) {
    throw execError(ctx, bareId, spec, error);
  } finally {
    if (state.created && !state.deleted) await removeExec(ctx, ids, state.mayRun);
    await io?.close();
    await rm(fifos.dir, { recursive: true, force: true });
  }
}

function execError(
  ctx: ContainerdContext,
  bareId: string,
  spec: Record<string, unknown>,
  error: unknown,
): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
    return new ChaosplaneError('not-found', `container containerd://${bareId} has no task in ${ctx.where}`, {
      cause: error,
    });
  }
  const program = (spec.args as string[])[0] ?? '';
  const startFailure =
    error instanceof ClientError && error.code !== Status.UNAVAILABLE
      ? execStartFailure(program, `containerd://${bareId}`, error.details, error)
      : undefined;
  return startFailure ?? runtimeError(ctx, `exec of ${JSON.stringify(program)} in ${bareId}`, error);
}

/** Waits for the exec to exit; when the deadline passes first, SIGKILLs it and fails `aborted`. */
async function waitOrKill(
  ctx: ContainerdContext,
  ids: { containerId: string; execId: string },
  deadline: ExecDeadline,
): Promise<number> {
  const call = new AbortController();
  const waited = ctx.tasks.wait(ids, { signal: call.signal });
  // Settled below in every path; this only keeps a rejection from being reported as unhandled.
  waited.catch(() => undefined);
  const stopped = new Promise<'stopped'>(resolve => {
    if (deadline.signal.aborted) resolve('stopped');
    deadline.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  try {
    const first = await Promise.race([waited, stopped]);
    if (first !== 'stopped') return first.exitStatus;
    await ctx.tasks.kill({ ...ids, signal: signalNumber('SIGKILL'), all: false }).catch(() => undefined);
    await Promise.race([waited.catch(() => undefined), delay(KILL_WAIT_MS)]);
    throw deadline.error();
  } finally {
    call.abort();
  }
}

/** Kills (when it may still run) and deletes an exec process; errors are left to the first one. */
async function removeExec(
  ctx: ContainerdContext,
  ids: { containerId: string; execId: string },
  mayRun: boolean,
): Promise<void> {
  const signal = AbortSignal.timeout(DELETE_TIMEOUT_MS);
  if (mayRun) {
    await ctx.tasks
      .kill({ ...ids, signal: signalNumber('SIGKILL'), all: false }, { signal })
      .catch(() => undefined);
    await Promise.race([ctx.tasks.wait(ids, { signal }).catch(() => undefined), delay(KILL_WAIT_MS)]);
  }
  await ctx.tasks.deleteProcess(ids, { signal }).catch(() => undefined);
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

// ---------------------------------------------------------------------------------------------
// stdio through FIFOs, without tying up the libuv threadpool: the shim serializes Start calls
// and opens each output FIFO for writing with a blocking open(2) inside Start, so read ends
// opened with blocking opens on the (4-thread) threadpool can wait for a Start that waits for
// them. Instead each read end is opened O_NONBLOCK (a FIFO open that never blocks) together with
// a placeholder writer of our own: with no writer at all, a read would be EOF before the shim
// even opened its end. The placeholder is closed once Wait reported the exit; by then the shim
// holds its writer, and EOF means it copied everything. (O_RDWR for the read end would make this
// side a writer for good: no EOF ever.)

interface ExecFifos {
  dir: string;
  stdin?: string;
  stdout: string;
  stderr: string;
}

async function makeFifos(parent: string, withStdin: boolean): Promise<ExecFifos> {
  // mkdtemp makes it 0700: nobody else can open, replace or add to the FIFOs.
  const dir = await mkdtemp(path.join(parent, 'cp-exec-'));
  const fifos: ExecFifos = {
    dir,
    stdout: path.join(dir, 'stdout'),
    stderr: path.join(dir, 'stderr'),
    ...(withStdin ? { stdin: path.join(dir, 'stdin') } : {}),
  };
  const paths = [fifos.stdout, fifos.stderr, ...(fifos.stdin ? [fifos.stdin] : [])];
  // Node has no mkfifo(3); mkfifo(1) with an argv, never a shell.
  const made = spawnSync('mkfifo', ['-m', '0600', '--', ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (made.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    const why = made.error ? made.error.message : made.stderr.toString('utf8').trim();
    throw new ChaosplaneError('runtime', `could not create the exec FIFOs in ${dir}: ${why}`, {
      cause: made.error,
    });
  }
  return fifos;
}

interface OutputCapture {
  /** What was read, once the stream ended or was cut. */
  result: Promise<{ text: string; truncated: boolean }>;
  /** Closes the placeholder writer: EOF comes when the shim closes its end. */
  releasePlaceholder(): void;
  /** Stops reading and closes every descriptor (output still in flight is dropped). */
  destroy(): void;
}

function captureOutput(fifoPath: string, maxBytes: number): OutputCapture {
  const readFd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let placeholder: number | undefined;
  try {
    // Cannot fail with ENXIO: there is a reader now.
    placeholder = fs.openSync(fifoPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    fs.closeSync(readFd);
    throw error;
  }
  const releasePlaceholder = (): void => {
    if (placeholder !== undefined) fs.closeSync(placeholder);
    placeholder = undefined;
  };
  // A pipe handle: libuv reads it non-blocking through epoll.
  const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  const result = new Promise<{ text: string; truncated: boolean }>(resolve => {
    const done = (): void => resolve({ text: Buffer.concat(chunks).toString('utf8'), truncated });
    socket.on('data', (chunk: Buffer) => {
      if (bytes < maxBytes) chunks.push(chunk.subarray(0, maxBytes - bytes));
      if (bytes + chunk.length > maxBytes) truncated = true;
      bytes += chunk.length;
    });
    socket.on('error', done);
    socket.on('close', done);
  });
  return {
    result,
    releasePlaceholder,
    destroy() {
      releasePlaceholder();
      socket.destroy();
    },
  };
}

/**
 * Writes stdin to its FIFO and closes our end. Called after Start, when the shim's reader is
 * open or about to be (it opens it in a goroutine), so the blocking open(2) on the threadpool
 * returns at once; `release` unblocks it if that never happens.
 */
function writeStdin(fifoPath: string, data: string): { written: Promise<void>; release(): void } {
  let socket: net.Socket | undefined;
  let released = false;
  let holder: number | undefined;
  const written = new Promise<void>(resolve => {
    fs.open(fifoPath, fs.constants.O_WRONLY, (error, fd) => {
      if (holder !== undefined) fs.close(holder, () => undefined);
      if (error) return resolve();
      if (released) return fs.close(fd, () => resolve());
      socket = new net.Socket({ fd, readable: false, writable: true });
      // EPIPE when the process exits without reading it all: what it did not read is dropped.
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.end(data);
    });
  });
  return {
    written,
    release() {
      if (released) return;
      released = true;
      if (socket) return void socket.destroy();
      try {
        // Never blocks, and is a reader: the pending open returns (and is closed at once).
        holder = fs.openSync(fifoPath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      } catch {
        // Already removed: the pending open fails with ENOENT instead.
      }
    },
  };
}

interface ExecIo {
  /** Starts writing stdin (after Start); resolves once it was written and our end closed. */
  feedStdin(): Promise<void>;
  /** After the exit: output up to EOF on both streams, or what came within `ms`. */
  drain(ms: number): Promise<{ stdout: string; stderr: string; truncated: boolean }>;
  /** Closes every descriptor; resolves once none is left. */
  close(): Promise<void>;
}

function startExecIo(fifos: ExecFifos, stdin: string | undefined, maxBytes: number): ExecIo {
  const out = captureOutput(fifos.stdout, maxBytes);
  let err: OutputCapture;
  try {
    err = captureOutput(fifos.stderr, maxBytes);
  } catch (error) {
    out.destroy();
    throw error;
  }
  let input: ReturnType<typeof writeStdin> | undefined;
  return {
    feedStdin() {
      if (fifos.stdin === undefined || stdin === undefined) return Promise.resolve();
      input ??= writeStdin(fifos.stdin, stdin);
      return input.written;
    },
    async drain(ms) {
      out.releasePlaceholder();
      err.releasePlaceholder();
      const timer = setTimeout(() => {
        out.destroy();
        err.destroy();
      }, ms);
      const [o, e] = await Promise.all([out.result, err.result]);
      clearTimeout(timer);
      return { stdout: o.text, stderr: e.text, truncated: o.truncated || e.truncated };
    },
    async close() {
      input?.release();
      out.destroy();
      err.destroy();
      await Promise.all([out.result, err.result, input?.written]);
    },
  };
}
