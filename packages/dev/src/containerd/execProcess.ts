// SPDX-License-Identifier: Apache-2.0
// An interactive exec in a running container through containerd's API, as the CRI runtime does
// it for `kubectl exec`: the container's own process spec (user, capabilities, environment,
// working directory) with the command's argv, a terminal when asked (TERM=xterm, resized with
// ResizePty), stdin streamed through a FIFO and closed with CloseIO, output through FIFOs, and
// the exit status from Wait.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { rm } from 'node:fs/promises';
import { ChaosplaneError } from '@chaosplane/sdk';
import { type ContainerdApi, containerdError, isNotFound } from './containerdApi.js';
import { type InputWriter, makeFifos, openInput, openOutput, type OutputReader } from './processFifos.js';

const PROCESS_SPEC_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
/** After the exit, how long the shim may take to copy what is left in the pipes. */
const OUTPUT_DRAIN_MS = 2000;

/** Options of {@link startExec}. */
export interface ExecOptions {
  containerId: string;
  argv: string[];
  tty: boolean;
  stdin: boolean;
  /** Where the FIFO directory goes. */
  fifoParent: string;
  /** Output: stdout, and stderr unless `tty` (a terminal has one stream). */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
}

/** A running exec. */
export interface ExecSession {
  writeStdin(chunk: Buffer): void;
  closeStdin(): void;
  resize(width: number, height: number): void;
  /** Resolves with the exit status once the process exited and its output was read. */
  readonly exited: Promise<number>;
  /** SIGKILLs the process (a client that went away). */
  kill(): void;
}

/** The container's process spec with this exec's argv and terminal. */
async function processSpec(api: ContainerdApi, options: ExecOptions): Promise<Record<string, unknown>> {
  let spec: { process?: Record<string, unknown> } | undefined;
  try {
    const { container } = await api.containers.get({ id: options.containerId }, { signal: options.signal });
    spec = container?.spec
      ? (JSON.parse(Buffer.from(container.spec.value).toString('utf8')) as typeof spec)
      : undefined;
  } catch (error) {
    if (isNotFound(error))
      throw new ChaosplaneError('not-found', `container ${options.containerId} not found`);
    throw containerdError(`Containers.Get(${options.containerId})`, error);
  }
  const process = spec?.process;
  if (!process) throw new ChaosplaneError('runtime', `container ${options.containerId} has no process spec`);
  const env = [...((process['env'] as string[] | undefined) ?? [])];
  if (options.tty && !env.some(e => e.startsWith('TERM='))) env.push('TERM=xterm');
  return { ...process, args: options.argv, terminal: options.tty, env };
}

/** After the exit: output read to EOF (or for {@link OUTPUT_DRAIN_MS}), the process deleted. */
async function finish(
  api: ContainerdApi,
  ids: { containerId: string; execId: string },
  readers: OutputReader[],
  fifoDir: string,
): Promise<number> {
  let exitCode: number;
  try {
    exitCode = (await api.tasks.wait(ids)).exitStatus;
  } catch (error) {
    exitCode = 137;
    if (!isNotFound(error)) throw containerdError(`Tasks.Wait(${ids.execId})`, error);
  } finally {
    for (const reader of readers) reader.releasePlaceholder();
    const timer = setTimeout(() => readers.forEach(r => r.destroy()), OUTPUT_DRAIN_MS);
    await Promise.all(readers.map(r => r.ended));
    clearTimeout(timer);
    await api.tasks.deleteProcess(ids, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined);
    await rm(fifoDir, { recursive: true, force: true });
  }
  return exitCode;
}

/** Starts `argv` in the container; fails `not-found` when the container has no running task. */
export async function startExec(api: ContainerdApi, options: ExecOptions): Promise<ExecSession> {
  const spec = await processSpec(api, options);
  const ids = { containerId: options.containerId, execId: `exec-${randomBytes(8).toString('hex')}` };
  const fifos = await makeFifos(options.fifoParent, { stdin: options.stdin, stderr: !options.tty });
  const readers: OutputReader[] = [];
  let input: InputWriter | undefined;
  try {
    readers.push(openOutput(fifos.stdout, chunk => options.output('stdout', chunk)));
    if (fifos.stderr) readers.push(openOutput(fifos.stderr, chunk => options.output('stderr', chunk)));
    if (fifos.stdin) input = openInput(fifos.stdin);
    await api.tasks.exec(
      {
        ...ids,
        stdin: fifos.stdin ?? '',
        stdout: fifos.stdout,
        stderr: fifos.stderr ?? '',
        terminal: options.tty,
        spec: { typeUrl: PROCESS_SPEC_TYPE, value: Buffer.from(JSON.stringify(spec)) },
      },
      { signal: options.signal },
    );
    await api.tasks.start(ids, { signal: options.signal });
  } catch (error) {
    for (const reader of readers) reader.destroy();
    void input?.end();
    await api.tasks.deleteProcess(ids).catch(() => undefined);
    await rm(fifos.dir, { recursive: true, force: true });
    if (isNotFound(error))
      throw new ChaosplaneError('not-found', `container ${options.containerId} is not running`, {
        cause: error,
      });
    throw containerdError(`exec in ${options.containerId}`, error);
  }
  const exited = finish(api, ids, readers, fifos.dir);
  exited.catch(() => undefined);
  let stdinClosed = false;
  return {
    exited,
    writeStdin: chunk => input?.write(chunk),
    closeStdin() {
      if (stdinClosed || !input) return;
      stdinClosed = true;
      // The shim keeps its own writer on the stdin FIFO until CloseIO; closing it before our
      // last bytes reached the FIFO would drop them.
      void input
        .end()
        .then(() => api.tasks.closeIO({ ...ids, stdin: true }))
        .catch(() => undefined);
    },
    resize(width, height) {
      if (!options.tty || width <= 0 || height <= 0) return;
      void api.tasks.resizePty({ ...ids, width, height }).catch(() => undefined);
    },
    kill() {
      void api.tasks
        .kill({ ...ids, signal: os.constants.signals.SIGKILL, all: false })
        .catch(() => undefined);
    },
  };
}
