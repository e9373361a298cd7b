// SPDX-License-Identifier: Apache-2.0
// What a plugin's daemon handler works with: one call's scope, the target container, and the
// three things it can do there (run a command, make a lasting change, start a process).
import type { Logger } from '@chaosplane/sdk';
import type { CallContext } from 'nice-grpc-common';
import type { CgroupStats } from '../cgroup/readCgroupStats.js';
import type { ProcessEnd } from '../process/createTrackedEntries.js';
import type { NamespaceName } from '../process/namespaces.js';
import type { RunResult } from '../process/runCommand.js';
import type { Contribution, ScopeRun } from '../process/sharedState.js';

/**
 * Who a command runs as, and where. Pick the narrowest that works:
 * - `container`: the container's own user, through the container runtime's exec API (as
 *   `kubectl exec`): its uid/gid, capabilities, environment, cgroup and security profile. For
 *   the container's own binaries and files. It can do no more than the container itself.
 * - `nobody`: uid/gid 65534 with no capabilities, in the namespaces listed (`['mnt', 'pid']`
 *   to read the container's view, as HelloWorldChaos's `ps`). For read-only looks.
 * - `root`: host root with the daemon's capabilities, in only the namespaces listed; the host's
 *   binaries (the daemon image's `tc`, `iptables`). `mnt` is refused: the container's files
 *   belong to its tenant, and running them as root with the daemon's capabilities would be a
 *   way out of the container.
 */
export type RunIdentity =
  | { as: 'container' }
  | { as: 'nobody'; namespaces: NamespaceName[] }
  | { as: 'root'; namespaces: NamespaceName[] };

/** A command: its argv (never a shell string) and what it reads on stdin. */
export interface CommandSpec {
  /** The program and its arguments, passed literally (never through a shell). */
  argv: string[];
  /** Written to the command's stdin, which is then closed. */
  stdin?: string;
}

/** Options of {@link TargetContainer.run}. */
export type RunCommandOptions = RunIdentity & {
  stdin?: string;
  /** Kill it after this long; 60 s by default. */
  timeoutMs?: number;
  /** Resolve with a non-zero exit instead of rejecting with kind `command`. */
  allowFailure?: boolean;
};

/** Options of {@link TargetContainer.change}. */
export type ChangeOptions = RunIdentity & {
  /** Makes the change; must exit 0. */
  apply: CommandSpec;
  /** Takes it back; must exit 0. Journaled before `apply` runs. */
  undo: CommandSpec;
  /** How long it lasts at most; the experiment's end (sent by the operator) by default. */
  durationMs?: number;
};

/** Options of {@link TargetContainer.start}. */
export type StartProcessOptions = Exclude<RunIdentity, { as: 'container' }> & {
  argv: string[];
  /** How long it runs at most; the experiment's end by default. */
  durationMs?: number;
  /** What a restarted daemon does while it still runs: kill it (the default) or adopt it. */
  onRestart?: 'kill' | 'adopt';
  /**
   * `'container'`: the process joins the container's cgroups before its program runs (each cgroup
   * v1 hierarchy the container is in, or its cgroup v2 directory), so everything it and its
   * children use counts against the container and its limits (a stressor), never the daemon.
   * The daemon's own cgroups by default.
   */
  cgroup?: 'container';
  /**
   * Its oom_score_adj (-1000 to 1000), set before its program runs and inherited by its children;
   * the daemon's by default. Below the daemon's own it needs CAP_SYS_RESOURCE (`unsupported` without).
   */
  oomScoreAdj?: number;
};

/** What {@link TargetContainer.start} resolves with. */
export interface StartedProcess {
  /** False when a process of that name was already running (a repeated call). */
  started: boolean;
  /** The host PID of its first process (the namespace-entering one). */
  pid: number | undefined;
  /** Resolves when it has ended (by itself, on revert, at its deadline), with its exit and output. */
  ended: Promise<ProcessEnd>;
}

/**
 * State in a target's namespaces that several experiments contribute to at once (a pod's packet
 * filter and qdiscs): the daemon keeps every live contribution of a scope (the same namespaces)
 * and calls `render` with all of them after each addition and removal, so contributions compose
 * and withdrawing one leaves the others as they were. Contributions are journaled, end at their
 * deadline, and after a daemon crash each scope is rendered again from what is left.
 */
export interface SharedStateDefinition<Value> {
  /** Unique in the plugin (`network`). */
  name: string;
  /** The namespaces the state lives in (`['net']`); `mnt` is refused, as for `as: 'root'`. */
  namespaces: NamespaceName[];
  /**
   * Brings the namespaces to the state of `contributions`, oldest first; an empty list means
   * none, and everything the renderer made must go. Runs the host's binaries as root in the
   * namespaces through `run`. Must be idempotent; throw a `conflict` ChaosplaneError, before
   * changing anything, to refuse the newest contribution (name the other one's `chaos`).
   */
  render(contributions: readonly Contribution<Value>[], run: ScopeRun): Promise<void>;
}

/** A shared state registered with {@link DaemonToolkit.sharedState}: what {@link TargetContainer.contribute} takes. */
export interface SharedState<Value> {
  /** The daemon-wide name (the plugin's service and the state's name). */
  readonly name: string;
  /** Type-level only: what a contribution holds. */
  readonly __value?: Value;
}

/** A running container on this node, as a handler acts on it. */
export interface TargetContainer {
  /** Its runtime-prefixed id (`containerd://…`). */
  readonly containerId: string;
  /** The host PID of its first process. */
  readonly pid: number;
  /** Sends a signal (`SIGTERM`, `SIGKILL`…) to its first process through the container runtime. */
  signal(signalName: NodeJS.Signals): Promise<void>;
  /**
   * Runs a command to completion. A non-zero exit rejects with kind `command` (the operator
   * sees FAILED_PRECONDITION with the exit code and stderr) unless `allowFailure`.
   */
  run(argv: string[], options: RunCommandOptions): Promise<RunResult>;
  /**
   * Makes a lasting change, keyed by the call's chaos object and record and by `name`: a repeated
   * call finds it in place and resolves `{ applied: false }`. Undone by {@link DaemonCall.revert}
   * or at its deadline by the daemon itself. A daemon crash does not undo an applied change: the
   * next daemon adopts it and keeps it until its deadline or revert (a deadline that passed while
   * no daemon ran undoes it at start). Only a change whose apply a crash cut short is undone at
   * restart, never taken as applied.
   */
  change(name: string, options: ChangeOptions): Promise<{ applied: boolean }>;
  /**
   * Starts a long-running process keyed like {@link change}; killed on revert and at its deadline,
   * and, after a daemon restart, killed or adopted as `onRestart` says. It runs in its own empty
   * working directory (writable by its user), removed when it ends.
   */
  start(name: string, options: StartProcessOptions): Promise<StartedProcess>;
  /**
   * The container's cgroup accounting now (memory used and allowed, OOM kills, CPU time), read
   * from the cgroups its first process is in (cgroup v1 or v2, as this node has).
   */
  cgroup(): Promise<CgroupStats>;
  /**
   * Contributes `value` to a shared state of the container's namespaces, keyed like
   * {@link TargetContainer.change}: the same value again resolves `{ applied: false }`, another
   * value replaces it. Withdrawn by {@link DaemonCall.revert}, at its deadline, or after a crash
   * if its render never finished. Must be JSON.
   */
  contribute<Value>(
    state: SharedState<Value>,
    name: string,
    value: Value,
    options?: { durationMs?: number },
  ): Promise<{ applied: boolean }>;
}

/** One call, as a handler sees it: who it acts for, and what it may act on. */
export interface DaemonCall {
  /** The chaos object the call acts for (from the operator's metadata). */
  readonly chaos: { namespace: string; name: string; uid?: string } | undefined;
  /**
   * The record the call acts for (`ns/pod/container`), with `:` and its selector key for a
   * record of another selector than `.` (`ns/pod:Target`): each record's changes are its own.
   */
  readonly record: string | undefined;
  /** When the experiment ends (ms since epoch): the default deadline of changes and processes. */
  readonly deadlineMs: number | undefined;
  /** The caller's verified identity (client certificate CN); empty with `--insecure`. */
  readonly caller: string;
  /** A logger whose lines carry the chaos object and the record. */
  readonly log: Logger;
  /** Aborted when the call is cancelled or times out. */
  readonly signal: AbortSignal;
  /** A running container of this node; `not-found` when it is gone (the target counts as recovered). */
  container(containerId: string): Promise<TargetContainer>;
  /**
   * Undoes the change, or stops the process, this record made under `name`. Resolves false
   * when there is none (never made, or already undone): recovering twice is safe.
   */
  revert(name: string): Promise<boolean>;
}

/** What a handler factory is given once, when the daemon starts. */
export interface DaemonToolkit {
  /** A logger named after the plugin's service. */
  readonly log: Logger;
  /** The scope of one call. */
  call(context: CallContext): DaemonCall;
  /**
   * Runs one of the host's binaries as root in the host's namespaces (argv only), to look at the
   * node itself (its kernel's features, say). A non-zero exit rejects with kind `command` unless
   * `allowFailure`. Anything that changes a target belongs in `change`, `start` or `contribute`.
   */
  run(
    argv: string[],
    options?: { stdin?: string; allowFailure?: boolean; timeoutMs?: number },
  ): Promise<RunResult>;
  /** Registers a shared state of the plugin (call it in the handler factory, once per state). */
  sharedState<Value>(definition: SharedStateDefinition<Value>): SharedState<Value>;
}
