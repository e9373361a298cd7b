// SPDX-License-Identifier: Apache-2.0
// Where and as whom a command runs: checked once, turned into an nsenter argv.
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  type NamespaceName,
  nsenterArgv,
  requirePidWithMount,
  type RunAs,
  validateArgv,
  validateNamespaces,
  validateRunAs,
} from './namespaces.js';
import { processStartTime } from './procStat.js';

/** Options shared by the commands the process manager runs. */
export interface CommandTarget {
  /** PID whose namespaces the command enters; the host when omitted. */
  pid?: number;
  /**
   * Namespaces of `pid` to enter (mnt, pid, net, ipc, uts). `mnt` requires `pid` too: a command
   * running the container's binaries must not see or signal host processes.
   */
  namespaces?: NamespaceName[];
  /**
   * Run as this uid/gid inside the target (nsenter --setuid/--setgid); a non-zero uid has no
   * capabilities. Use it for the container's own binaries, which the tenant controls. Needs `pid`.
   */
  runAs?: RunAs;
  /** The program and its arguments, passed literally (never through a shell). */
  argv: string[];
}

function checkPid(pid: number, namespaces: readonly NamespaceName[]): void {
  // A pid without namespaces would silently run the command on the host.
  if (namespaces.length === 0) {
    throw new ChaosplaneError('invalid', 'namespaces must name at least one namespace when pid is given', {
      field: 'namespaces',
    });
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ChaosplaneError('invalid', `pid ${pid} must be a positive integer`, { field: 'pid' });
  }
  if (processStartTime(pid) === undefined) {
    throw new ChaosplaneError(
      'not-found',
      `target process ${pid} does not exist (has the container stopped?)`,
      {
        field: 'pid',
      },
    );
  }
}

/**
 * Validates a command target and returns the argv that runs it: the command itself on the
 * host, or `nsenter --target PID --mount … [--setuid U --setgid G] -- argv`.
 * @throws ChaosplaneError `invalid` naming the field, or `not-found` when the target process is gone
 */
export function commandArgv(nsenter: string, target: CommandTarget): string[] {
  const argv = validateArgv(target.argv);
  const namespaces = validateNamespaces(target.namespaces ?? []);
  const runAs = validateRunAs(target.runAs);
  if (namespaces.length > 0 && target.pid === undefined) {
    throw new ChaosplaneError('invalid', 'pid is required when namespaces are given', { field: 'pid' });
  }
  if (runAs !== undefined && target.pid === undefined) {
    throw new ChaosplaneError('invalid', 'runAs applies inside a target: pid is required with it', {
      field: 'runAs',
    });
  }
  requirePidWithMount(namespaces);
  if (target.pid !== undefined) checkPid(target.pid, namespaces);
  return nsenterArgv(nsenter, target.pid, namespaces, argv, runAs);
}

/** The error of a command that ran and failed: kind `command`, with its exit and stderr. */
export function commandFailed(
  what: string,
  argv: readonly string[],
  result: { exitCode: number | null; signal: NodeJS.Signals | null; stderr: string },
): ChaosplaneError {
  const ended =
    result.exitCode !== null ? `exited with ${result.exitCode}` : `was killed by ${result.signal}`;
  const stderr = result.stderr.trim();
  return new ChaosplaneError(
    'command',
    `${what} ${JSON.stringify(argv)} ${ended}${stderr ? `: ${stderr.slice(0, 400)}` : ''}`,
  );
}
