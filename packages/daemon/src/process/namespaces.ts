// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/sdk';

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

/** The user and group a command runs as inside the target's namespaces. */
export interface RunAs {
  uid: number;
  gid: number;
}

const MAX_ID = 4_294_967_294; // (uid_t)-1 means "unchanged" to the kernel.

/** Checks a `runAs` from a request: non-negative integer uid and gid. */
export function validateRunAs(runAs: unknown, field = 'runAs'): RunAs | undefined {
  if (runAs === undefined) return undefined;
  if (typeof runAs !== 'object' || runAs === null) {
    throw new ChaosplaneError('invalid', `${field} must be an object { uid, gid }`, { field });
  }
  const result: Partial<RunAs> = {};
  for (const key of ['uid', 'gid'] as const) {
    const value = (runAs as Record<string, unknown>)[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_ID) {
      throw new ChaosplaneError('invalid', `${field}.${key} must be an integer from 0 to ${MAX_ID}`, {
        field: `${field}.${key}`,
      });
    }
    result[key] = value;
  }
  return result as RunAs;
}

/**
 * Refuses entering a target's mount namespace without its pid namespace: the command would run
 * the container's own binaries while seeing, and able to signal, every host process (with
 * /proc of the host one mount away).
 */
export function requirePidWithMount(namespaces: readonly NamespaceName[], field = 'namespaces'): void {
  if (namespaces.includes('mnt') && !namespaces.includes('pid')) {
    throw new ChaosplaneError(
      'invalid',
      `${field} enters mnt without pid: a command in the container's filesystem must also enter its pid ` +
        `namespace, so it can neither see nor signal host processes (use ['mnt', 'pid'])`,
      { field },
    );
  }
}

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
 * With `runAs`, nsenter switches to that uid/gid after entering (a non-zero uid drops every
 * capability). The result is given to spawn() as an array: no shell ever sees it.
 */
export function nsenterArgv(
  nsenterPath: string,
  targetPid: number | undefined,
  namespaces: readonly NamespaceName[],
  argv: readonly string[],
  runAs?: RunAs,
): string[] {
  if (targetPid === undefined || namespaces.length === 0) return [...argv];
  if (!Number.isInteger(targetPid) || targetPid <= 0) {
    throw new ChaosplaneError('invalid', `pid ${targetPid} must be a positive integer`, { field: 'pid' });
  }
  return [
    nsenterPath,
    `--target=${targetPid}`,
    ...NAMESPACE_NAMES.filter(n => namespaces.includes(n)).map(n => NSENTER_FLAG[n]),
    ...(runAs ? [`--setgid=${runAs.gid}`, `--setuid=${runAs.uid}`] : []),
    '--',
    ...argv,
  ];
}
