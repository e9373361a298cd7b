// SPDX-License-Identifier: Apache-2.0
// The steps of an exec in a running container that the daemon's runtime client (a command run to
// completion, with a deadline and an output limit) and the local kubelet of @chaosplane/dev
// (`kubectl exec` and exec probes, streamed) share: the container's own process spec with the
// exec's argv, Tasks.Exec with FIFOs for stdio, and deleting the exec process afterwards.
import { randomBytes } from 'node:crypto';
import os from 'node:os';

import { ChaosplaneError } from '@chaosplane/sdk';

import { containerdError, isNotFound } from './containerdErrors.js';
import type { ContainerdApi } from './createContainerdApi.js';
import type { ProcessFifos } from './processFifos.js';

// The type containerd's Exec expects in its Any: an OCI process spec as JSON (what ctr and the
// CRI plugin send for runc).
const PROCESS_SPEC_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

/** After the process exited, how long the shim may take to copy what is left in its pipes. */
export const OUTPUT_DRAIN_MS = 2000;
/** After a SIGKILL, how long until Wait must have seen the exit. */
export const KILL_WAIT_MS = 5000;
/** The shim's DeleteProcess waits up to 10 s for the process's output to be copied. */
export const DELETE_TIMEOUT_MS = 15_000;

/** An exec process: its container and its exec id. */
export interface ExecIds {
  /** The container whose task the process runs beside. */
  containerId: string;
  /** The exec process's id, unique within the container. */
  execId: string;
}

/** A new exec id for `containerId`: `prefix` and 16 random hex digits. */
export function newExecIds(containerId: string, prefix: string): ExecIds {
  return { containerId, execId: `${prefix}${randomBytes(8).toString('hex')}` };
}

/** Options of {@link execProcessSpec}. */
export interface ExecProcessSpecOptions {
  /** The command: `args` of the process spec, as given (no shell). */
  argv: string[];
  /** A terminal: `terminal: true`, and `TERM=xterm` unless the environment has a TERM. */
  tty: boolean;
  /** Aborts the Containers.Get call. */
  signal?: AbortSignal;
  /** Added to the container's environment (replacing a variable of the same name). */
  env?: Readonly<Record<string, string>>;
}

/** `env` (`NAME=value` entries) with `extra` set, each replacing an entry of its name. */
function withEnv(env: readonly string[], extra: Readonly<Record<string, string>>): string[] {
  const names = new Set(Object.keys(extra));
  return [
    ...env.filter(entry => !names.has(entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry)),
    ...Object.entries(extra).map(([name, value]) => `${name}=${value}`),
  ];
}

/**
 * The container's own OCI process spec with only `args` and `terminal` replaced (and TERM added
 * for a terminal): that is what gives the exec the container's user, groups, capabilities,
 * environment, working directory, rlimits, noNewPrivileges and AppArmor/SELinux labels, as the
 * CRI plugin does for `kubectl exec`. Seccomp and the cgroup are the container's through runc exec
 * itself. Fails `not-found` when there is no such container.
 */
export async function execProcessSpec(
  api: ContainerdApi,
  containerId: string,
  options: ExecProcessSpecOptions,
): Promise<Record<string, unknown>> {
  let spec: { process?: unknown } | undefined;
  try {
    const { container } = await api.containers.get({ id: containerId }, { signal: options.signal });
    spec = container?.spec
      ? (JSON.parse(Buffer.from(container.spec.value).toString('utf8')) as { process?: unknown })
      : undefined;
  } catch (error) {
    if (isNotFound(error)) {
      throw new ChaosplaneError(
        'not-found',
        `container containerd://${containerId} not found in ${api.where}`,
        {
          cause: error,
        },
      );
    }
    throw containerdError(`Containers.Get(${containerId})`, error, api.where);
  }
  if (typeof spec?.process !== 'object' || spec.process === null) {
    throw new ChaosplaneError(
      'runtime',
      `container containerd://${containerId} has no OCI process spec in ${api.where}`,
    );
  }
  const process = spec.process as Record<string, unknown>;
  const env = withEnv((process['env'] as string[] | undefined) ?? [], options.env ?? {});
  if (!options.tty) return { ...process, args: options.argv, terminal: false, env };
  if (!env.some(e => e.startsWith('TERM='))) env.push('TERM=xterm');
  return { ...process, args: options.argv, terminal: true, env };
}

/**
 * Tasks.Exec: creates the exec process with `spec` and its stdio on `fifos` (a stream without a
 * FIFO is not connected); Tasks.Start runs it. The output FIFOs must be open for reading first.
 */
export async function createExecProcess(
  api: ContainerdApi,
  ids: ExecIds,
  fifos: ProcessFifos,
  spec: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<void> {
  await api.tasks.exec(
    {
      ...ids,
      stdin: fifos.stdin ?? '',
      stdout: fifos.stdout,
      stderr: fifos.stderr ?? '',
      terminal: spec['terminal'] === true,
      spec: { typeUrl: PROCESS_SPEC_TYPE, value: Buffer.from(JSON.stringify(spec)) },
    },
    { signal },
  );
}

/**
 * Removes an exec process: when it may still run, SIGKILLs it and waits (up to
 * {@link KILL_WAIT_MS}) for the exit, then DeleteProcess. Errors are ignored: this is cleanup
 * after a failure or an exit already handled, and the first error is the one that matters.
 */
export async function removeExecProcess(
  api: ContainerdApi,
  ids: ExecIds,
  options: { mayRun: boolean },
): Promise<void> {
  const signal = AbortSignal.timeout(DELETE_TIMEOUT_MS);
  if (options.mayRun) {
    await api.tasks
      .kill({ ...ids, signal: os.constants.signals.SIGKILL, all: false }, { signal })
      .catch(() => undefined);
    await Promise.race([api.tasks.wait(ids, { signal }).catch(() => undefined), delay(KILL_WAIT_MS)]);
  }
  await api.tasks.deleteProcess(ids, { signal }).catch(() => undefined);
}

/** Resolves after `ms`, without keeping the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
