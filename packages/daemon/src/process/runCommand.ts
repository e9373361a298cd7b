// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

import { ChaosplaneError } from '@chaosplane/sdk';

/** What a finished command produced. */
export interface RunResult {
  /** What it wrote to stdout (up to the output limit). */
  stdout: string;
  /** What it wrote to stderr (up to the output limit). */
  stderr: string;
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** True when output beyond `maxOutputBytes` was dropped. */
  truncated: boolean;
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  env: Record<string, string>;
  signal?: AbortSignal;
  /** Kill the command after this long (SIGKILL); default 60 s. */
  timeoutMs?: number;
  /** Output kept per stream; default 1 MiB. */
  maxOutputBytes?: number;
  /** Written to the command's stdin, which is closed afterwards. */
  stdin?: string;
}

// After a kill, how long to wait for output still buffered in the pipes before settling.
const DRAIN_AFTER_KILL_MS = 100;

/** Keeps the first `maxBytes` of a stream's output; `truncated` once a chunk was dropped whole. */
function collectOutput(stream: Readable, maxBytes: number): { text(): string; truncated(): boolean } {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  stream.on('data', (chunk: Buffer) => {
    if (bytes < maxBytes) chunks.push(chunk.subarray(0, maxBytes - bytes));
    else truncated = true;
    bytes += chunk.length;
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), truncated: () => truncated };
}

/** Why `program` could not be started: `not-found` when it is not in PATH, `internal` otherwise. */
function startError(program: string, error: Error): ChaosplaneError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ChaosplaneError(
    code === 'ENOENT' ? 'not-found' : 'internal',
    code === 'ENOENT'
      ? `program ${JSON.stringify(program)} not found`
      : `could not start ${program}: ${error.message}`,
    { cause: error, field: 'argv[0]' },
  );
}

/**
 * Runs a program (argv[0], looked up in PATH) with literal arguments, never through a shell, and
 * collects its output. Abort or timeout kills its whole process group with SIGKILL (nsenter forks
 * the real command when it enters a pid namespace, so killing nsenter alone is not enough) and
 * rejects with kind `aborted` as soon as the program has exited, without waiting for every holder
 * of its output pipes.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<RunResult> {
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const [program, ...args] = argv;
    if (program === undefined) {
      reject(new ChaosplaneError('invalid', 'argv must not be empty', { field: 'argv' }));
      return;
    }
    if (options.signal?.aborted) {
      reject(new ChaosplaneError('aborted', `${program} was not started: the call was cancelled`));
      return;
    }
    const child = spawn(program, args, {
      shell: false,
      // Its own process group: a timeout or cancel kills everything it forked.
      detached: true,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout = collectOutput(child.stdout!, maxBytes);
    const stderr = collectOutput(child.stderr!, maxBytes);
    let stopReason: string | undefined;
    if (options.stdin !== undefined && child.stdin) {
      // A program may exit before reading all of it (a batch that fails on its first line): the
      // pipe's EPIPE must not become an unhandled error of the daemon; the exit says what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    let settled = false;
    const stop = (reason: string): void => {
      if (stopReason !== undefined || settled) return;
      stopReason = reason;
      try {
        // setns() does not change the process group: a command in a pid namespace is still in it.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      child.kill('SIGKILL');
      // Exited already, its output pipes held by something that left the group: do not wait for them.
      if (child.exitCode !== null || child.signalCode !== null) {
        setTimeout(() => finish(child.exitCode, child.signalCode), DRAIN_AFTER_KILL_MS).unref();
      }
    };
    const onAbort = (): void => stop('the call was cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop(`it ran longer than ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', error => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(startError(program, error));
    });
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (stopReason !== undefined) {
        // Whatever still holds the pipes must not keep this call, or the event loop, alive.
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
        reject(new ChaosplaneError('aborted', `${program} was killed: ${stopReason}`));
        return;
      }
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode,
        signal: exitSignal,
        truncated: stdout.truncated() || stderr.truncated(),
      });
    };
    // 'close' waits for every holder of the pipes; after a kill, 'exit' plus a short drain is enough.
    child.on('close', finish);
    child.on('exit', (exitCode, exitSignal) => {
      if (stopReason === undefined) return;
      setTimeout(() => finish(exitCode, exitSignal), DRAIN_AFTER_KILL_MS).unref();
    });
  });
}
