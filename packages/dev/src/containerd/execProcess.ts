// SPDX-License-Identifier: Apache-2.0
// An interactive exec in a running container through containerd's API, as the CRI runtime does
// it for `kubectl exec`: the container's own process spec (user, capabilities, environment,
// working directory) with the command's argv, a terminal when asked (TERM=xterm, resized with
// ResizePty), stdin streamed through a FIFO and closed with CloseIO, output through FIFOs, and
// the exit status from Wait. The spec, the FIFOs, Tasks.Exec and the delete are the daemon's exec
// steps (@chaosplane/daemon/containerd); what is this file's own is the session: streamed stdin,
// the terminal, output as it comes, no deadline (the client ends it).
import os from 'node:os';
import { rm } from 'node:fs/promises';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  type ContainerdApi,
  containerdError,
  createExecProcess,
  drainOutput,
  type ExecIds,
  execProcessSpec,
  type InputWriter,
  isNotFound,
  makeFifos,
  newExecIds,
  openInput,
  openOutput,
  OUTPUT_DRAIN_MS,
  type OutputReader,
  removeExecProcess,
} from '@chaosplane/daemon/containerd';

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

/** After the exit: output read to EOF (or for {@link OUTPUT_DRAIN_MS}), the process deleted. */
async function finish(
  api: ContainerdApi,
  ids: ExecIds,
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
    await drainOutput(readers, OUTPUT_DRAIN_MS);
    await removeExecProcess(api, ids, { mayRun: false });
    await rm(fifoDir, { recursive: true, force: true });
  }
  return exitCode;
}

/** Starts `argv` in the container; fails `not-found` when the container has no running task. */
export async function startExec(api: ContainerdApi, options: ExecOptions): Promise<ExecSession> {
  const { containerId, argv, tty, signal } = options;
  const spec = await execProcessSpec(api, containerId, { argv, tty, signal });
  const ids = newExecIds(containerId, 'exec-');
  const fifos = await makeFifos(options.fifoParent, { stdin: options.stdin, stderr: !tty });
  const readers: OutputReader[] = [];
  let input: InputWriter | undefined;
  try {
    readers.push(openOutput(fifos.stdout, chunk => options.output('stdout', chunk)));
    if (fifos.stderr) readers.push(openOutput(fifos.stderr, chunk => options.output('stderr', chunk)));
    if (fifos.stdin) input = openInput(fifos.stdin);
    await createExecProcess(api, ids, fifos, spec, signal);
    await api.tasks.start(ids, { signal });
  } catch (error) {
    for (const reader of readers) reader.destroy();
    void input?.end();
    await removeExecProcess(api, ids, { mayRun: false });
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
