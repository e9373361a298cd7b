// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';

import { ChaosplaneError } from '@chaosplane/core';

/** What a finished command produced. */
export interface RunResult {
  stdout: string;
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

/**
 * Runs a program (argv[0], looked up in PATH) with literal arguments, never through a shell, and
 * collects its output. Abort or timeout kills it with SIGKILL and rejects with kind `aborted`.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<RunResult> {
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ChaosplaneError('aborted', `${argv[0]} was not started: the call was cancelled`));
      return;
    }
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let stopReason: string | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (outBytes < maxBytes) out.push(chunk.subarray(0, maxBytes - outBytes));
      else truncated = true;
      outBytes += chunk.length;
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (errBytes < maxBytes) err.push(chunk.subarray(0, maxBytes - errBytes));
      else truncated = true;
      errBytes += chunk.length;
    });
    if (options.stdin !== undefined && child.stdin) child.stdin.end(options.stdin);
    const stop = (reason: string): void => {
      stopReason = reason;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => stop('the call was cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop(`it ran longer than ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', error => {
      cleanup();
      const code = (error as NodeJS.ErrnoException).code;
      reject(
        new ChaosplaneError(
          code === 'ENOENT' ? 'not-found' : 'internal',
          code === 'ENOENT'
            ? `program ${JSON.stringify(argv[0])} not found`
            : `could not start ${argv[0]}: ${error.message}`,
          { cause: error, field: 'argv[0]' },
        ),
      );
    });
    child.on('close', (exitCode, exitSignal) => {
      cleanup();
      if (stopReason !== undefined) {
        reject(new ChaosplaneError('aborted', `${argv[0]} was killed: ${stopReason}`));
        return;
      }
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
        signal: exitSignal,
        truncated,
      });
    });
  });
}
