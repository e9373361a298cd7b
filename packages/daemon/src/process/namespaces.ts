// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/core';

/** Linux namespaces a command can enter: the files under /proc/PID/ns. */
export type NamespaceName = 'mnt' | 'pid' | 'net' | 'ipc' | 'uts';

/** Every namespace name, in the order nsenter is given them. */
export const NAMESPACE_NAMES: readonly NamespaceName[] = ['mnt', 'pid', 'net', 'ipc', 'uts'];

const NSENTER_FLAG: Record<NamespaceName, string> = {
  mnt: '--mount',
  pid: '--pid',
  net: '--net',
  ipc: '--ipc',
  uts: '--uts',
};

/** Checks a namespace list from a request; unknown names fail with kind `invalid`. */
export function validateNamespaces(namespaces: readonly unknown[], field = 'namespaces'): NamespaceName[] {
  const result: NamespaceName[] = [];
  for (const [index, value] of namespaces.entries()) {
    if (!NAMESPACE_NAMES.includes(value as NamespaceName)) {
      throw new ChaosplaneError(
        'invalid',
        `${field}[${index}] ${JSON.stringify(value)} is not one of ${NAMESPACE_NAMES.join(', ')}`,
        { field: `${field}[${index}]` },
      );
    }
    if (!result.includes(value as NamespaceName)) result.push(value as NamespaceName);
  }
  return result;
}

/**
 * Checks a command: a non-empty array of strings without NUL bytes. Nothing else is refused:
 * arguments are passed to execve literally, so `; rm -rf /` or `$(…)` are plain text.
 */
export function validateArgv(argv: unknown, field = 'argv'): string[] {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new ChaosplaneError('invalid', `${field} must be a non-empty array of strings`, { field });
  }
  for (const [index, arg] of argv.entries()) {
    if (typeof arg !== 'string') {
      throw new ChaosplaneError('invalid', `${field}[${index}] must be a string`, {
        field: `${field}[${index}]`,
      });
    }
    if (arg.includes('\0')) {
      throw new ChaosplaneError('invalid', `${field}[${index}] contains a NUL byte`, {
        field: `${field}[${index}]`,
      });
    }
  }
  if ((argv[0] as string).length === 0) {
    throw new ChaosplaneError('invalid', `${field}[0] (the program) must not be empty`, {
      field: `${field}[0]`,
    });
  }
  return argv as string[];
}

/**
 * The argv that runs `argv` inside the namespaces of `targetPid` with util-linux nsenter
 * (`nsenter --target PID --mount … -- argv…`). Without a target, the command runs on the host.
 * The result is given to spawn() as an array: no shell ever sees it.
 */
export function nsenterArgv(
  nsenterPath: string,
  targetPid: number | undefined,
  namespaces: readonly NamespaceName[],
  argv: readonly string[],
): string[] {
  if (targetPid === undefined || namespaces.length === 0) return [...argv];
  if (!Number.isInteger(targetPid) || targetPid <= 0) {
    throw new ChaosplaneError('invalid', `pid ${targetPid} must be a positive integer`, { field: 'pid' });
  }
  return [
    nsenterPath,
    `--target=${targetPid}`,
    ...NAMESPACE_NAMES.filter(n => namespaces.includes(n)).map(n => NSENTER_FLAG[n]),
    '--',
    ...argv,
  ];
}
