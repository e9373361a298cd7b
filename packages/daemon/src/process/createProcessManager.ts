// SPDX-License-Identifier: Apache-2.0
// The process manager: runs commands in a target's namespaces (argv only, through nsenter) and
// tracks what lasts beyond a call, long-running processes and changes, in the on-node journal.
// Its parts: commandTarget (where and as whom), startManagedProcess, injectChange,
// createTrackedEntries (live entries and deadlines), killProcessTree, undoChange and
// recoverFromJournal (what a predecessor left).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { createSilentLogger } from '@chaosplane/service';
import type { Journal, JournalChaosRef, JournalEntry } from '../journal/createJournal.js';
import { commandArgv, type CommandTarget } from './commandTarget.js';
import {
  createTrackedEntries,
  infoOf,
  type ProcessEnd,
  type TrackedEntries,
  type TrackedInfo,
} from './createTrackedEntries.js';
import { injectChange } from './injectChange.js';
import { createSharedStates, type ContributeOptions, type StateRenderer } from './sharedState.js';
import { killProcessTree } from './killProcessTree.js';
import {
  DEFAULT_PATH,
  PROCESS_UID_ENV,
  RUN_OWNER_ENV,
  runOwnerOf,
  type ManagerContext,
} from './managerContext.js';
import type { NamespaceName, RunAs } from './namespaces.js';
import type { ProcessPlacement } from './processPlacement.js';
import { findProcessesByEnv, findProcessesByGroup, isSameProcess } from './procStat.js';
import { recoverFromJournal } from './recoverFromJournal.js';
import { runCommand, type RunResult } from './runCommand.js';
import { startManagedProcess } from './startManagedProcess.js';
import type { TrackingOptions } from './trackingOptions.js';
import { createUndoChange, type ExecInContainer } from './undoChange.js';

export { PROCESS_UID_ENV, RUN_OWNER_ENV } from './managerContext.js';
export type { CommandTarget } from './commandTarget.js';
export type { ProcessEnd, TrackedInfo } from './createTrackedEntries.js';
export type { ProcessPlacement } from './processPlacement.js';
export type { TrackingOptions } from './trackingOptions.js';
export type { Contribution, ContributeOptions, ScopeRun, StateRenderer } from './sharedState.js';

/** Options of {@link ProcessManager.run}. */
export interface RunOptions extends CommandTarget {
  signal?: AbortSignal;
  /** Kill after this long; 60 s by default. */
  timeoutMs?: number;
  /** Written to stdin. */
  stdin?: string;
}

/** Options of {@link ProcessManager.startManaged}. */
export interface StartManagedOptions extends CommandTarget, TrackingOptions {
  /** What a restarted daemon does if the process still runs: kill (default) or adopt it. */
  onRestart?: 'kill' | 'adopt';
  /**
   * Cgroups it joins and the oom_score_adj it takes before its program runs (a stressor accounted
   * to a container); the daemon's own by default.
   */
  placement?: ProcessPlacement;
}

/** Options of {@link ProcessManager.injectChange}. */
export interface InjectChangeOptions extends TrackingOptions {
  /** PID whose namespaces `apply` and `undo` run in. */
  pid?: number;
  namespaces?: NamespaceName[];
  /** The uid/gid `apply` and `undo` run as in the target (see {@link CommandTarget.runAs}). */
  runAs?: RunAs;
  /**
   * Run `apply` and `undo` in this container (`containerd://…`) through its runtime's exec, as
   * the container's own user, instead of through nsenter; `pid`, `namespaces` and `runAs` stay unset.
   */
  execIn?: string;
  /** The command that makes the change (must exit 0), and what it reads on stdin. */
  apply: { argv: string[]; stdin?: string };
  /** The command that reverts it (must exit 0); journaled before `apply` runs. */
  undo: { argv: string[]; stdin?: string };
  signal?: AbortSignal;
}

/** A started long-running process. */
export interface ManagedProcess extends TrackedInfo {
  /** Resolves when the process has ended (by itself, by cancel or at its deadline), with how. */
  exited: Promise<ProcessEnd>;
}

/** What {@link ProcessManager.recoverFromJournal} did with a predecessor's entries. */
export interface JournalRecoveryReport {
  /** Processes found alive and killed. */
  killed: string[];
  /** Entries taken over (processes still running, changes before their deadline). */
  adopted: string[];
  /** Changes undone because their deadline had passed. */
  recovered: string[];
  /**
   * Changes whose apply never succeeded (a crash cut it short, or it failed and its undo was
   * still pending): undone, never adopted.
   */
  unapplied: string[];
  /** Entries whose process was already gone. */
  gone: string[];
  /** PIDs of short commands a crashed predecessor left running mid-call, now killed. */
  orphanedRuns: number[];
  /**
   * Entries that could not be handled (an undo that failed, …): they stay in the journal, and a
   * change stays tracked and is retried every 5 s.
   */
  failed: { uid: string; error: string }[];
}

/** Runs commands in target namespaces and tracks what lasts beyond a call. */
export interface ProcessManager {
  /** Runs a command to completion and returns its output (not journaled: it changes nothing lasting). */
  run(options: RunOptions): Promise<RunResult>;
  /** Starts a long-running process: journaled before it starts, tracked by uid, killed at its deadline. */
  startManaged(options: StartManagedOptions): Promise<ManagedProcess>;
  /**
   * Applies a change whose undo is journaled first; the undo runs on cancel or at the deadline.
   * A failed apply is undone and rejects with kind `command` (its exit code and stderr).
   */
  injectChange(options: InjectChangeOptions): Promise<TrackedInfo>;
  /** Registers the renderer of a shared state; before {@link ProcessManager.recoverFromJournal}. */
  registerState(renderer: StateRenderer): void;
  /**
   * Adds a contribution to a shared state and renders its scope with it (see sharedState.ts); a
   * repeated call with the same value resolves `applied: false`, a different value replaces it.
   */
  contribute(options: ContributeOptions): Promise<{ applied: boolean }>;
  /** Everything tracked, optionally only identifiers with a prefix. */
  list(identifierPrefix?: string): TrackedInfo[];
  /** The live entry with exactly this identifier, if any. */
  find(identifier: string): TrackedInfo | undefined;
  /** Resolves when the live entry `uid` has ended (see {@link ManagedProcess.exited}); undefined when it is not tracked. */
  ended(uid: string): Promise<ProcessEnd> | undefined;
  /** Kills a process or undoes a change; false when the uid is not tracked (idempotent). */
  cancel(uid: string): Promise<boolean>;
  /** Cancels everything, or only what one chaos object started; returns the uids. */
  recoverAll(filter?: Partial<JournalChaosRef>): Promise<string[]>;
  /**
   * Handles what a previous daemon left: journal entries are killed, adopted or undone, and short
   * commands it left running mid-call are killed. Call once at start, before serving.
   */
  recoverFromJournal(): Promise<JournalRecoveryReport>;
  /** Stops timers and polling. With `recover: true` (graceful shutdown) cancels everything first. */
  close(options?: { recover?: boolean }): Promise<void>;
}

/** Options of {@link createProcessManager}. */
export interface ProcessManagerOptions {
  journal: Journal;
  /** Directory for process output logs (`<stateDir>/logs`). */
  stateDir: string;
  logger?: Logger;
  /** util-linux nsenter; `nsenter` from PATH by default. */
  nsenterPath?: string;
  /** How long a killed process gets between SIGTERM and SIGKILL; 2 s by default. */
  killGraceMs?: number;
  /** How often adopted processes are checked for exit; 1 s by default. */
  pollIntervalMs?: number;
  /** Exec through the container runtime, for changes made as the container's own user. */
  exec?: ExecInContainer;
}

/** Kills every process of a process entry: its marked processes and its group, leaves first. */
function killEntryTree(entry: JournalEntry, graceMs: number): Promise<boolean> {
  const leader =
    entry.pid !== undefined && entry.startTime !== undefined
      ? { pid: entry.pid, startTime: entry.startTime }
      : undefined;
  const members = () => {
    const marked = findProcessesByEnv(PROCESS_UID_ENV, entry.uid);
    // The group only while its leader is ours: a reused leader PID leads someone else's group.
    const grouped =
      leader && isSameProcess(leader.pid, leader.startTime) ? findProcessesByGroup(leader.pid) : [];
    return [...new Set([...marked, ...grouped])];
  };
  return killProcessTree(members, { graceMs, ...(leader ? { leader } : {}) });
}

/** The manager's shared state: its settings, the run environment, the undo and the live entries. */
function createManagerContext(options: ProcessManagerOptions): ManagerContext {
  const logger = options.logger ?? createSilentLogger();
  const nsenter = options.nsenterPath ?? 'nsenter';
  const killGraceMs = options.killGraceMs ?? 2000;
  const logDir = path.join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const workDir = path.join(options.stateDir, 'work');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const runEnv = {
    PATH: DEFAULT_PATH,
    [RUN_OWNER_ENV]: runOwnerOf(options.stateDir),
  };
  const undo = createUndoChange({
    nsenter,
    env: runEnv,
    logger,
    ...(options.exec ? { exec: options.exec } : {}),
  });
  const killEntry = (entry: JournalEntry) => killEntryTree(entry, killGraceMs);
  const states = createSharedStates();
  // The context is built after its entries, which end contributions through it (by then it exists).
  const withdraw = (entry: JournalEntry): Promise<void> => states.withdraw(ctx, entry);
  const entries = createTrackedEntries({
    journal: options.journal,
    logger,
    logDir,
    workDir,
    kill: killEntry,
    undo,
    withdraw,
  });
  const ctx: ManagerContext = {
    journal: options.journal,
    logger,
    nsenter,
    runEnv,
    logDir,
    workDir,
    entries,
    undo,
    killEntry,
    exec: options.exec,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    states,
  };
  return ctx;
}

/** {@link ProcessManager.run}: the command, nsenter'd into its target, with the run environment. */
async function runInTarget(ctx: ManagerContext, opts: RunOptions): Promise<RunResult> {
  // async: a refused target rejects, like a failed command.
  const argv = commandArgv(ctx.nsenter, opts);
  return runCommand(argv, {
    env: ctx.runEnv,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
}

/** {@link ProcessManager.recoverAll}: ends every entry `filter` selects; throws if any could not be. */
async function recoverEntries(entries: TrackedEntries, filter: Partial<JournalChaosRef>): Promise<string[]> {
  const selected = entries
    .all()
    .filter(
      t =>
        (!filter.namespace || t.entry.chaos?.namespace === filter.namespace) &&
        (!filter.name || t.entry.chaos?.name === filter.name),
    );
  // Every entry gets its chance: one failure must not cut the others short.
  const results = await Promise.allSettled(selected.map(t => entries.end(t, 'recovered')));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${selected[index]!.entry.uid}: ${String(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    throw new ChaosplaneError(
      'command',
      `${failures.length} of ${selected.length} entries could not be recovered (they stay in the journal): ` +
        failures.join('; '),
    );
  }
  return selected.map(t => t.entry.uid);
}

/**
 * Creates the process manager. Commands are argv arrays run through `nsenter --target PID
 * --mount …` when they enter a target, with a minimal environment (PATH and the markers).
 */
export function createProcessManager(options: ProcessManagerOptions): ProcessManager {
  const ctx = createManagerContext(options);
  const { entries, logger } = ctx;

  const manager: ProcessManager = {
    run: opts => runInTarget(ctx, opts),
    startManaged: opts => startManagedProcess(ctx, opts),
    injectChange: opts => injectChange(ctx, opts),
    registerState: renderer => ctx.states.register(renderer),
    contribute: opts => ctx.states.contribute(ctx, opts),
    list: prefix =>
      entries
        .all()
        .filter(t => !prefix || t.entry.identifier.startsWith(prefix))
        .map(infoOf),
    find(identifier) {
      const t = entries.byIdentifier(identifier);
      return t === undefined ? undefined : infoOf(t);
    },
    ended: uid => entries.get(uid)?.exited,
    async cancel(uid) {
      const t = entries.get(uid);
      if (!t) return false;
      await entries.end(t, 'cancelled');
      return true;
    },
    recoverAll: (filter = {}) => recoverEntries(entries, filter),
    recoverFromJournal: () => recoverFromJournal(ctx),
    async close(closeOptions = {}) {
      try {
        if (closeOptions.recover) await manager.recoverAll();
      } catch (error) {
        logger.error('recovery on close failed; the journal keeps what is left for the next daemon', {
          error: String(error),
        });
        throw error;
      } finally {
        // Stopped either way: no timer may retry into a journal that is about to close.
        entries.close();
      }
    },
  };
  return manager;
}
