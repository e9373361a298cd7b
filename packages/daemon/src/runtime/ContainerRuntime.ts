// SPDX-License-Identifier: Apache-2.0
import os from 'node:os';

import { ChaosplaneError } from '@chaosplane/sdk';
import type { RunResult } from '../process/runCommand.js';

/** The container runtimes the daemon talks to, named as in Kubernetes container ids. */
export type RuntimeName = 'containerd' | 'docker' | 'cri-o';

/** The prefix of a Kubernetes `containerStatuses[].containerID` for each runtime. */
export const RUNTIME_PREFIXES: Readonly<Record<RuntimeName, string>> = {
  containerd: 'containerd://',
  docker: 'docker://',
  'cri-o': 'cri-o://',
};

/** One container as a runtime lists it. */
export interface RuntimeContainer {
  /** Full id with the runtime prefix (`containerd://abc`). */
  id: string;
  /** Host PID of the container's init process, when it runs. */
  pid?: number;
  /** Whether the container's main process is running. */
  running: boolean;
  /** Labels the runtime keeps for the container. */
  labels: Record<string, string>;
}

/** Options of {@link ContainerRuntimeClient.exec}. */
export interface ExecOptions {
  /** The program and its arguments, resolved in the container (never through a shell). */
  argv: string[];
  /** Written to the process's stdin, which is closed afterwards. */
  stdin?: string;
  /** Cancels the call: the exec'd process is killed. */
  signal?: AbortSignal;
  /** Kill the process after this long; 60 s by default. */
  timeoutMs?: number;
  /**
   * Variables added to the container's own environment for this process (a name the container
   * also sets takes this value). CRI-O's ExecSync cannot set any: it ignores them.
   */
  env?: Readonly<Record<string, string>>;
  /** Output kept per stream; 1 MiB by default (the rest is dropped and `truncated` set). */
  maxOutputBytes?: number;
}

/** The end of an exec call (containerd's and Docker's): why it stopped early, if it did. */
export interface ExecDeadline {
  signal: AbortSignal;
  /** The `aborted` error to throw once the call stopped. */
  error(): ChaosplaneError;
  dispose(): void;
}

/** Starts the clock of an exec: it stops at `options.timeoutMs` (60 s by default) or on `options.signal`. */
export function startExecDeadline(what: string, options: ExecOptions): ExecDeadline {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const controller = new AbortController();
  let reason = '';
  const stop = (why: string): void => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort();
  };
  const onAbort = (): void => stop('the call was cancelled');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop(`it ran longer than ${timeoutMs} ms`), timeoutMs);
  return {
    signal: controller.signal,
    error: () => new ChaosplaneError('aborted', `${what} was stopped: ${reason}`),
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** An exec's argv, checked: a non-empty array of strings without NUL bytes, the program not empty. */
export function checkExecArgv(argv: unknown): string[] {
  if (
    !Array.isArray(argv) ||
    argv.length === 0 ||
    !argv.every((a): a is string => typeof a === 'string' && !a.includes('\0')) ||
    argv[0] === ''
  ) {
    throw new ChaosplaneError('invalid', 'argv must be a non-empty array of strings without NUL bytes', {
      field: 'argv',
    });
  }
  return argv;
}

/**
 * What the OCI runtimes (runc, crun) say, through containerd, Docker or CRI-O, when an exec could
 * not start its program: not found, not in $PATH, not executable.
 */
const EXEC_START_FAILED =
  /OCI runtime exec failed|unable to start container process|executable file .*not found|exec format error/i;

/**
 * The error for an exec the runtime answered but whose program could not be started, when
 * `message` (the runtime's own words) says so: kind `command`, like the same failure through
 * nsenter (exit 127), not `runtime`, which stays for a runtime that could not be reached or
 * failed itself. Undefined for any other message.
 */
export function execStartFailure(
  program: string,
  where: string,
  message: string,
  cause?: unknown,
): ChaosplaneError | undefined {
  if (!EXEC_START_FAILED.test(message)) return undefined;
  return new ChaosplaneError(
    'command',
    `${JSON.stringify(program)} could not be started in ${where}: ${message}`,
    {
      cause,
    },
  );
}

/** What every runtime client offers: PID of a container, kill, list, exec. */
export interface ContainerRuntimeClient {
  readonly name: RuntimeName;
  /**
   * Host PID of the container's init process. Fails with kind `not-found` when the container is
   * unknown or not running, and the message says which.
   */
  pidOf(bareId: string, signal?: AbortSignal): Promise<number>;
  /** Sends `signalName` (SIGKILL, SIGTERM, …) to the container's init process. */
  kill(bareId: string, signalName: NodeJS.Signals, signal?: AbortSignal): Promise<void>;
  /**
   * Runs a process in the container through the runtime's own exec API, as `kubectl exec`
   * does: with the container's user, capabilities, environment, working directory, cgroup and
   * security profile (never more than the container itself may do). Resolves when it exits,
   * whatever its exit code; fails with kind `not-found` when the container is unknown or not
   * running, `aborted` when cancelled or timed out (the process is killed either way), `command`
   * when the runtime could not start the program (not found, not executable), `runtime` when
   * the runtime itself failed or could not be reached.
   */
  exec(bareId: string, options: ExecOptions): Promise<RunResult>;
  /** Every container the runtime knows (in its namespace, for containerd). */
  list(signal?: AbortSignal): Promise<RuntimeContainer[]>;
  /** A cheap call that fails when the runtime cannot be reached. */
  ping(signal?: AbortSignal): Promise<void>;
  /** Releases sockets and channels. */
  close(): void;
}

// Ids of containerd, Docker and CRI-O containers are [A-Za-z0-9] words joined by . _ -
// (Docker and CRI-O use 64 hex characters). Anything else, such as `; rm -rf /`, `$(…)`,
// backticks or newlines, is refused before it reaches a socket, a path or a log line.
const BARE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,253}$/;

/** A container id split into its runtime and the bare id the runtime knows. */
export interface ParsedContainerId {
  runtime: RuntimeName;
  bareId: string;
}

/**
 * Splits `containerd://abc` into runtime and bare id. An id without a known prefix, or with
 * characters no runtime uses, fails with kind `invalid` naming the field.
 */
export function parseContainerId(containerId: unknown, field = 'containerId'): ParsedContainerId {
  if (typeof containerId !== 'string' || containerId.length === 0) {
    throw new ChaosplaneError('invalid', `${field} must be a non-empty string`, { field });
  }
  for (const [runtime, prefix] of Object.entries(RUNTIME_PREFIXES) as [RuntimeName, string][]) {
    if (containerId.startsWith(prefix)) {
      const bareId = containerId.slice(prefix.length);
      if (!BARE_ID.test(bareId)) {
        throw new ChaosplaneError(
          'invalid',
          `${field} ${JSON.stringify(containerId)} has an invalid id after ${prefix}: ` +
            'expected letters, digits, ".", "_" or "-" (at most 254)',
          { field },
        );
      }
      return { runtime, bareId };
    }
  }
  const expected = Object.values(RUNTIME_PREFIXES).join(', ');
  throw new ChaosplaneError(
    'invalid',
    `${field} ${JSON.stringify(containerId.slice(0, 80))} has no runtime prefix: expected one of ${expected}`,
    { field },
  );
}

/** Maps a signal name to its number on this platform; unknown names fail with kind `invalid`. */
export function signalNumber(signalName: string, field = 'signal'): number {
  const value = os.constants.signals[signalName as NodeJS.Signals];
  if (typeof value !== 'number') {
    throw new ChaosplaneError(
      'invalid',
      `${field} ${JSON.stringify(signalName)} is not a signal name such as SIGKILL`,
      {
        field,
      },
    );
  }
  return value;
}
