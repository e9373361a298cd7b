// SPDX-License-Identifier: Apache-2.0
import { spawn } from 'node:child_process';

import { ChaosplaneError } from '@chaosplane/sdk';

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

// After a kill, how long to wait for output still buffered in the pipes before settling.
const DRAIN_AFTER_KILL_MS = 100;

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
    if (options.signal?.aborted) {
      reject(new ChaosplaneError('aborted', `${argv[0]} was not started: the call was cancelled`));
      return;
    }
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      // Its own process group: a timeout or cancel kills everything it forked.
      detached: true,
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
    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (stopReason !== undefined) {
        // Whatever still holds the pipes must not keep this call, or the event loop, alive.
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
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
    };
    // 'close' waits for every holder of the pipes; after a kill, 'exit' plus a short drain is enough.
    child.on('close', finish);
    child.on('exit', (exitCode, exitSignal) => {
      if (stopReason === undefined) return;
      setTimeout(() => finish(exitCode, exitSignal), DRAIN_AFTER_KILL_MS).unref();
    });
  });
}
