// SPDX-License-Identifier: Apache-2.0
import os from 'node:os';
import { rm } from 'node:fs/promises';

import { ChaosplaneError } from '@chaosplane/sdk';
import { ClientError, Status } from 'nice-grpc';

import { containerdError, isNotFound } from '../containerd/containerdErrors.js';
import { type ContainerdApi, createContainerdApi } from '../containerd/createContainerdApi.js';
import {
  createExecProcess,
  delay,
  DELETE_TIMEOUT_MS,
  execProcessSpec,
  type ExecIds,
  KILL_WAIT_MS,
  newExecIds,
  OUTPUT_DRAIN_MS,
  removeExecProcess,
} from '../containerd/execProcess.js';
import {
  drainOutput,
  makeFifos,
  openOutput,
  type OutputReader,
  type ProcessFifos,
  writeInputOnce,
  type InputOnce,
} from '../containerd/processFifos.js';
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

interface ContainerdContext {
  api: ContainerdApi;
  tasks: ContainerdApi['tasks'];
  containers: ContainerdApi['containers'];
  where: string;
  fifoDir: string;
}

/**
 * The daemon's containerd runtime, over the containerd API of `../containerd` (its tasks and
 * containers services on the unix socket, scoped to one namespace).
 */
export function createContainerdClient(options: ContainerdClientOptions = {}): ContainerRuntimeClient {
  const socketPath = options.socketPath ?? '/run/containerd/containerd.sock';
  const namespace = options.namespace ?? 'k8s.io';
  const api = createContainerdApi({ socketPath, namespace });
  const ctx: ContainerdContext = {
    api,
    tasks: api.tasks,
    containers: api.containers,
    where: api.where,
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
        if (isNotFound(error)) {
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
      api.close();
    },
  };
}

function runtimeError(ctx: ContainerdContext, action: string, error: unknown): ChaosplaneError {
  return containerdError(action, error, ctx.where);
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
    if (isNotFound(error)) {
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
// exec run to completion: the shared steps of ../containerd/execProcess.ts (the container's own
// process spec, Tasks.Exec with FIFOs for stdio), then Start, Wait within the deadline (SIGKILL
// when it passes), the output up to the limit, Delete.

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
    const spec = await execProcessSpec(ctx.api, bareId, {
      argv,
      tty: false,
      signal: deadline.signal,
      ...(options.env ? { env: options.env } : {}),
    });
    return await runExec(ctx, bareId, spec, options, deadline);
  } catch (error) {
    if (deadline.signal.aborted && !ChaosplaneError.isKind(error, 'aborted')) throw deadline.error();
    throw error;
  } finally {
    deadline.dispose();
  }
}

async function runExec(
  ctx: ContainerdContext,
  bareId: string,
  spec: Record<string, unknown>,
  options: ExecOptions,
  deadline: ExecDeadline,
): Promise<RunResult> {
  const fifos = await makeFifos(ctx.fifoDir, {
    stdin: options.stdin !== undefined,
    stderr: true,
    prefix: 'cp-exec-',
  });
  const ids = newExecIds(bareId, 'chaosplane-exec-');
  const state = { created: false, mayRun: false, deleted: false };
  let io: ExecIo | undefined;
  try {
    io = startExecIo(fifos, options.stdin, options.maxOutputBytes ?? 1024 * 1024);
    await createExecProcess(ctx.api, ids, fifos, spec);
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
    if (state.created && !state.deleted) await removeExecProcess(ctx.api, ids, { mayRun: state.mayRun });
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
  if (isNotFound(error)) {
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
async function waitOrKill(ctx: ContainerdContext, ids: ExecIds, deadline: ExecDeadline): Promise<number> {
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

// ---------------------------------------------------------------------------------------------
// The exec's stdio: output read through ../containerd/processFifos.ts up to a limit per stream,
// stdin a string written once after Start.

interface OutputCapture {
  reader: OutputReader;
  /** What was read, once the stream ended or was cut. */
  result: Promise<{ text: string; truncated: boolean }>;
}

function captureOutput(fifoPath: string, maxBytes: number): OutputCapture {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  const reader = openOutput(fifoPath, chunk => {
    if (bytes < maxBytes) chunks.push(chunk.subarray(0, maxBytes - bytes));
    if (bytes + chunk.length > maxBytes) truncated = true;
    bytes += chunk.length;
  });
  const result = reader.ended.then(() => ({ text: Buffer.concat(chunks).toString('utf8'), truncated }));
  return { reader, result };
}

interface ExecIo {
  /** Starts writing stdin (after Start); resolves once it was written and our end closed. */
  feedStdin(): Promise<void>;
  /** After the exit: output up to EOF on both streams, or what came within `ms`. */
  drain(ms: number): Promise<{ stdout: string; stderr: string; truncated: boolean }>;
  /** Closes every descriptor; resolves once none is left. */
  close(): Promise<void>;
}

function startExecIo(fifos: ProcessFifos, stdin: string | undefined, maxBytes: number): ExecIo {
  const out = captureOutput(fifos.stdout, maxBytes);
  let err: OutputCapture;
  try {
    // makeFifos was asked for stderr.
    err = captureOutput(fifos.stderr!, maxBytes);
  } catch (error) {
    out.reader.destroy();
    throw error;
  }
  let input: InputOnce | undefined;
  return {
    feedStdin() {
      if (fifos.stdin === undefined || stdin === undefined) return Promise.resolve();
      input ??= writeInputOnce(fifos.stdin, stdin);
      return input.written;
    },
    async drain(ms) {
      await drainOutput([out.reader, err.reader], ms);
      const [o, e] = await Promise.all([out.result, err.result]);
      return { stdout: o.text, stderr: e.text, truncated: o.truncated || e.truncated };
    },
    async close() {
      input?.release();
      out.reader.destroy();
      err.reader.destroy();
      await Promise.all([out.result, err.result, input?.written]);
    },
  };
}
