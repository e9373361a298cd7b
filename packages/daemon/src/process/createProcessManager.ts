// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ChaosplaneError, createSilentLogger, type Logger } from '@chaosplane/core';

import type { Journal, JournalChaosRef, JournalEntry } from '../journal/createJournal.js';
import {
  type NamespaceName,
  nsenterArgv,
  requirePidWithMount,
  type RunAs,
  validateArgv,
  validateNamespaces,
  validateRunAs,
} from './namespaces.js';
import {
  findNamespaceHolder,
  isInNamespaces,
  type NamespaceIds,
  readNamespaceIds,
} from './namespaceIdentity.js';
import { findProcessesByEnv, isSameProcess, processStartTime } from './procStat.js';
import { runCommand, type RunResult } from './runCommand.js';

/** Environment variable that marks every process the daemon starts with its uid. */
export const PROCESS_UID_ENV = 'CHAOSPLANE_PROCESS_UID';
/**
 * Environment variable that marks short commands (`run`, undo commands) with the state
 * directory they belong to, so a daemon restarted after a crash finds those its predecessor
 * left running mid-call.
 */
export const RUN_OWNER_ENV = 'CHAOSPLANE_RUN_OWNER';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// setTimeout's largest delay; longer deadlines are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;
// How long a failed undo waits before it is tried again.
const UNDO_RETRY_MS = 5000;

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

/** Options of {@link ProcessManager.run}. */
export interface RunOptions extends CommandTarget {
  signal?: AbortSignal;
  /** Kill after this long; 60 s by default. */
  timeoutMs?: number;
  /** Written to stdin. */
  stdin?: string;
}

/** When a tracked entry ends by itself and who started it. */
interface TrackingOptions {
  /** Duplicate-preventing name (for example the record id); one live entry per identifier. */
  identifier: string;
  /** Recover after this many ms, even if no controller ever calls again. */
  durationMs?: number;
  /** Recover at this unix time in ms (wins over durationMs). */
  deadlineMs?: number;
  /** The chaos object this is done for, for listing and RecoverAll filters. */
  chaos?: JournalChaosRef;
}

/** Options of {@link ProcessManager.startManaged}. */
export interface StartManagedOptions extends CommandTarget, TrackingOptions {
  /** What a restarted daemon does if the process still runs: kill (default) or adopt it. */
  onRestart?: 'kill' | 'adopt';
}

/** Options of {@link ProcessManager.injectChange}. */
export interface InjectChangeOptions extends TrackingOptions {
  /** PID whose namespaces `apply` and `undo` run in. */
  pid?: number;
  namespaces?: NamespaceName[];
  /** The uid/gid `apply` and `undo` run as in the target (see {@link CommandTarget.runAs}). */
  runAs?: RunAs;
  /** The command that makes the change (must exit 0). */
  apply: { argv: string[] };
  /** The command that reverts it (must exit 0); journaled before `apply` runs. */
  undo: { argv: string[] };
  signal?: AbortSignal;
}

/** A tracked process or change, as listed. */
export interface TrackedInfo {
  uid: string;
  type: 'process' | 'change';
  identifier: string;
  pid?: number;
  argv: string[];
  targetPid?: number;
  namespaces: NamespaceName[];
  startedAtMs: number;
  deadlineMs?: number;
  chaos?: JournalChaosRef;
  state: 'running' | 'adopted';
}

/** A started long-running process. */
export interface ManagedProcess extends TrackedInfo {
  /** Resolves when the process has ended (by itself, by cancel or at its deadline). */
  exited: Promise<void>;
}

/** What {@link ProcessManager.recoverFromJournal} did with a predecessor's entries. */
export interface JournalRecoveryReport {
  /** Processes found alive and killed. */
  killed: string[];
  /** Entries taken over (processes still running, changes before their deadline). */
  adopted: string[];
  /** Changes undone because their deadline had passed. */
  recovered: string[];
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
  /** Applies a change whose undo is journaled first; the undo runs on cancel or at the deadline. */
  injectChange(options: InjectChangeOptions): Promise<TrackedInfo>;
  /** Everything tracked, optionally only identifiers with a prefix. */
  list(identifierPrefix?: string): TrackedInfo[];
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
}

interface Tracked {
  entry: JournalEntry;
  state: 'running' | 'adopted';
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  poller?: NodeJS.Timeout;
  exited: Promise<void>;
  markExited: () => void;
  ending?: Promise<void>;
}

/**
 * Creates the process manager. Commands are argv arrays run through `nsenter --target PID
 * --mount …` when they enter a target, with a minimal environment (PATH and the uid marker).
 */
export function createProcessManager(options: ProcessManagerOptions): ProcessManager {
  const { journal } = options;
  const logger = options.logger ?? createSilentLogger();
  const nsenter = options.nsenterPath ?? 'nsenter';
  const killGraceMs = options.killGraceMs ?? 2000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const logDir = path.join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const runEnv = {
    PATH: DEFAULT_PATH,
    [RUN_OWNER_ENV]: createHash('sha256').update(path.resolve(options.stateDir)).digest('hex').slice(0, 16),
  };
  const tracked = new Map<string, Tracked>();
  const identifiers = new Map<string, string>();
  let closed = false;

  function commandArgv(target: CommandTarget): string[] {
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
    if (target.pid !== undefined) {
      // A pid without namespaces would silently run the command on the host.
      if (namespaces.length === 0) {
        throw new ChaosplaneError(
          'invalid',
          'namespaces must name at least one namespace when pid is given',
          {
            field: 'namespaces',
          },
        );
      }
      if (!Number.isInteger(target.pid) || target.pid <= 0) {
        throw new ChaosplaneError('invalid', `pid ${target.pid} must be a positive integer`, {
          field: 'pid',
        });
      }
      if (processStartTime(target.pid) === undefined) {
        throw new ChaosplaneError(
          'not-found',
          `target process ${target.pid} does not exist (has the container stopped?)`,
          {
            field: 'pid',
          },
        );
      }
    }
    return nsenterArgv(nsenter, target.pid, namespaces, argv, runAs);
  }

  function reserve(identifier: string): void {
    if (typeof identifier !== 'string' || identifier.length === 0) {
      throw new ChaosplaneError('invalid', 'identifier must be a non-empty string', { field: 'identifier' });
    }
    const holder = identifiers.get(identifier);
    if (holder !== undefined) {
      throw new ChaosplaneError(
        'conflict',
        `identifier ${JSON.stringify(identifier)} is already in use by ${holder}`,
        {
          field: 'identifier',
        },
      );
    }
    identifiers.set(identifier, 'starting');
  }

  function deadlineOf(opts: TrackingOptions): number | undefined {
    if (opts.deadlineMs !== undefined) return opts.deadlineMs;
    if (opts.durationMs !== undefined) {
      if (!(opts.durationMs > 0)) {
        throw new ChaosplaneError('invalid', 'durationMs must be a positive number', { field: 'durationMs' });
      }
      return Date.now() + opts.durationMs;
    }
    return undefined;
  }

  function info(t: Tracked): TrackedInfo {
    const e = t.entry;
    return {
      uid: e.uid,
      type: e.type,
      identifier: e.identifier,
      ...(e.pid !== undefined ? { pid: e.pid } : {}),
      argv: e.type === 'process' ? [...e.argv] : [...(e.undo?.argv ?? [])],
      ...(e.targetPid !== undefined ? { targetPid: e.targetPid } : {}),
      namespaces: [...e.namespaces],
      startedAtMs: e.startedAtMs,
      ...(e.deadlineMs !== undefined ? { deadlineMs: e.deadlineMs } : {}),
      ...(e.chaos ? { chaos: { ...e.chaos } } : {}),
      state: t.state,
    };
  }

  function track(entry: JournalEntry, state: Tracked['state'], child?: ChildProcess): Tracked {
    let markExited!: () => void;
    const exited = new Promise<void>(resolve => (markExited = resolve));
    const t: Tracked = { entry, state, exited, markExited, ...(child ? { child } : {}) };
    tracked.set(entry.uid, t);
    identifiers.set(entry.identifier, entry.uid);
    armDeadline(t);
    return t;
  }

  function armDeadline(t: Tracked): void {
    const deadline = t.entry.deadlineMs;
    if (deadline === undefined || closed) return;
    const wait = Math.max(0, deadline - Date.now());
    t.timer = setTimeout(
      () => {
        if (Date.now() < deadline) {
          armDeadline(t);
          return;
        }
        logger.info('deadline reached: recovering', { uid: t.entry.uid, identifier: t.entry.identifier });
        end(t, 'deadline').catch((error: unknown) => {
          logger.error('recovery at deadline failed; retrying in 5 s', {
            uid: t.entry.uid,
            error: String(error),
          });
          t.ending = undefined;
          if (!closed) t.timer = setTimeout(() => armDeadline(t), UNDO_RETRY_MS);
        });
      },
      Math.min(wait, MAX_TIMER_MS),
    );
  }

  // Forget an entry: journal its end, release its identifier, stop its timers.
  function forget(t: Tracked, reason: string): void {
    if (!tracked.has(t.entry.uid)) return;
    clearTimeout(t.timer);
    clearInterval(t.poller);
    tracked.delete(t.entry.uid);
    if (identifiers.get(t.entry.identifier) === t.entry.uid) identifiers.delete(t.entry.identifier);
    journal.append({ op: 'end', uid: t.entry.uid, reason });
    rmSync(path.join(logDir, `${t.entry.uid}.log`), { force: true });
    t.markExited();
  }

  async function killProcessEntry(entry: JournalEntry): Promise<boolean> {
    let killedSomething = false;
    const signalAll = (sig: NodeJS.Signals): void => {
      // Our processes lead their own group (detached), so the group holds what they forked.
      // Checked before every signal: once the leader is gone its PID can be reused by another
      // group's leader, which must never receive ours (its members are found by env below).
      if (
        entry.pid !== undefined &&
        entry.startTime !== undefined &&
        isSameProcess(entry.pid, entry.startTime)
      ) {
        try {
          process.kill(-entry.pid, sig);
          killedSomething = true;
        } catch {
          // Already gone.
        }
      }
      for (const pid of findProcessesByEnv(PROCESS_UID_ENV, entry.uid)) {
        try {
          process.kill(pid, sig);
          killedSomething = true;
        } catch {
          // Already gone.
        }
      }
    };
    const anyAlive = (): boolean =>
      (entry.pid !== undefined &&
        entry.startTime !== undefined &&
        isSameProcess(entry.pid, entry.startTime)) ||
      findProcessesByEnv(PROCESS_UID_ENV, entry.uid).length > 0;
    signalAll('SIGTERM');
    const until = Date.now() + killGraceMs;
    while (anyAlive() && Date.now() < until) await sleep(25);
    if (anyAlive()) {
      signalAll('SIGKILL');
      const hardUntil = Date.now() + 5000;
      while (anyAlive() && Date.now() < hardUntil) await sleep(25);
    }
    return killedSomething;
  }

  /**
   * The process to run an undo through: the target itself while it is the same process in the
   * same namespaces, else any live process that holds every namespace the change entered (the
   * pod's sandbox holds net, ipc and uts after an app container restarts; a shared pid namespace
   * or another process in the mount namespace outlives the target too). Undefined when nothing
   * holds them any more: the namespaces, and the change made in them, are gone.
   */
  function undoTarget(entry: JournalEntry): { pid: number; startTime: string } | undefined {
    const undo = entry.undo!;
    const { targetPid, targetStartTime, namespaceIds } = undo;
    if (targetPid === undefined || targetStartTime === undefined) return undefined;
    const targetAlive = isSameProcess(targetPid, targetStartTime);
    if (namespaceIds === undefined) {
      // Written before namespace identities were journaled: only the target itself is known.
      return targetAlive ? { pid: targetPid, startTime: targetStartTime } : undefined;
    }
    if (targetAlive && isInNamespaces(targetPid, namespaceIds)) {
      return { pid: targetPid, startTime: targetStartTime };
    }
    const holder = findNamespaceHolder(namespaceIds);
    if (holder) {
      logger.info('target of a change is gone; undoing it through another process in its namespaces', {
        uid: entry.uid,
        targetPid,
        throughPid: holder.pid,
        namespaces: namespaceIds,
      });
    }
    return holder;
  }

  /** Runs an entry's undo; `gone` when its namespaces (and so the change) no longer exist. */
  async function undoChange(entry: JournalEntry): Promise<'undone' | 'gone'> {
    const undo = entry.undo;
    if (!undo) return 'undone';
    let throughPid = undo.targetPid;
    if (undo.targetPid !== undefined && undo.targetStartTime !== undefined) {
      const through = undoTarget(entry);
      if (through === undefined) {
        logger.info('no process holds the namespaces of a change any more; nothing left to undo', {
          uid: entry.uid,
          targetPid: undo.targetPid,
          ...(undo.namespaceIds ? { namespaces: undo.namespaceIds } : {}),
        });
        return 'gone';
      }
      // Checked again right before entering: a holder found by the scan may have exited since.
      if (
        !isSameProcess(through.pid, through.startTime) ||
        (undo.namespaceIds !== undefined && !isInNamespaces(through.pid, undo.namespaceIds))
      ) {
        throw new ChaosplaneError(
          'runtime',
          `process ${through.pid}, chosen to undo ${JSON.stringify(undo.argv)} through, exited; retrying later`,
        );
      }
      throughPid = through.pid;
    }
    const result = await runCommand(
      nsenterArgv(nsenter, throughPid, undo.namespaces, undo.argv, undo.runAs),
      {
        env: runEnv,
      },
    );
    if (result.exitCode !== 0) {
      throw new ChaosplaneError(
        'runtime',
        `undo ${JSON.stringify(undo.argv)} exited with ${result.exitCode ?? result.signal}: ${result.stderr.trim()}`,
      );
    }
    return 'undone';
  }

  /**
   * After an apply failed and its undo failed too, the change may be half-applied: the entry
   * must outlive the call, or nothing would ever undo it. It stays in the journal, its deadline
   * moved to now (so a restarted daemon undoes it at start), and stays tracked (so `cancel`,
   * `recoverAll` and `close({recover})` find it), retrying the undo every 5 s until it succeeds.
   * It keeps its identifier: a restarted daemon re-adopts journal entries under their
   * identifiers, so releasing it now would let a retried apply start a second live entry with
   * the same identifier. Until the undo succeeds, an injectChange with it fails with `conflict`,
   * naming this entry. Returns the error for the caller: the apply's, with the undo's appended.
   */
  function keepUndoPending(entry: JournalEntry, applyError: unknown, undoError: unknown): ChaosplaneError {
    const dueMs = Date.now();
    try {
      journal.append({ op: 'deadline', uid: entry.uid, deadlineMs: dueMs });
    } catch (journalError) {
      // The entry is still journaled, with its first deadline: a restarted daemon adopts it.
      logger.error('could not journal the undo of a failed apply as due now', {
        uid: entry.uid,
        error: String(journalError),
      });
    }
    const t = track({ ...entry, deadlineMs: dueMs }, 'running');
    // track() armed the deadline, which has passed: the first retry waits like any other.
    clearTimeout(t.timer);
    if (!closed) t.timer = setTimeout(() => armDeadline(t), UNDO_RETRY_MS);
    logger.error('apply failed and so did its undo; the change stays journaled and the undo is retried', {
      uid: entry.uid,
      identifier: entry.identifier,
      applyError: String(applyError),
      undoError: String(undoError),
    });
    const applyMessage = applyError instanceof Error ? applyError.message : String(applyError);
    const field = ChaosplaneError.is(applyError) ? applyError.field : undefined;
    return new ChaosplaneError(
      ChaosplaneError.is(applyError) ? applyError.kind : 'runtime',
      `${applyMessage}; undoing what it may have changed failed too (${undoError instanceof Error ? undoError.message : String(undoError)}): ` +
        `change ${entry.uid} stays journaled under identifier ${JSON.stringify(entry.identifier)} and its undo is retried every 5 s`,
      { cause: applyError, ...(field !== undefined ? { field } : {}) },
    );
  }

  function end(t: Tracked, reason: string): Promise<void> {
    t.ending ??= (async () => {
      if (t.entry.type === 'process') await killProcessEntry(t.entry);
      else await undoChange(t.entry);
      forget(t, reason);
    })();
    return t.ending;
  }

  function pollAdopted(t: Tracked): void {
    t.poller = setInterval(() => {
      const e = t.entry;
      if (e.pid === undefined || e.startTime === undefined || !isSameProcess(e.pid, e.startTime)) {
        if (findProcessesByEnv(PROCESS_UID_ENV, e.uid).length === 0) forget(t, 'exited');
      }
    }, pollIntervalMs);
  }

  async function recoverEntry(entry: JournalEntry, report: JournalRecoveryReport): Promise<void> {
    const now = Date.now();
    const expired = entry.deadlineMs !== undefined && entry.deadlineMs <= now;
    if (entry.type === 'process') {
      const alive =
        (entry.pid !== undefined &&
          entry.startTime !== undefined &&
          isSameProcess(entry.pid, entry.startTime)) ||
        findProcessesByEnv(PROCESS_UID_ENV, entry.uid).length > 0;
      if (alive && entry.onRestart === 'adopt' && !expired) {
        pollAdopted(track(entry, 'adopted'));
        report.adopted.push(entry.uid);
      } else if (alive) {
        await killProcessEntry(entry);
        journal.append({ op: 'end', uid: entry.uid, reason: 'killed-on-restart' });
        report.killed.push(entry.uid);
      } else {
        journal.append({ op: 'end', uid: entry.uid, reason: 'gone-on-restart' });
        report.gone.push(entry.uid);
      }
    } else if (expired) {
      await undoChange(entry);
      journal.append({ op: 'end', uid: entry.uid, reason: 'recovered-on-restart' });
      report.recovered.push(entry.uid);
    } else {
      track(entry, 'adopted');
      report.adopted.push(entry.uid);
    }
  }

  return {
    async run(opts) {
      const argv = commandArgv(opts);
      return runCommand(argv, {
        env: runEnv,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      });
    },

    async startManaged(opts) {
      const argv = commandArgv(opts);
      const deadlineMs = deadlineOf(opts);
      reserve(opts.identifier);
      const uid = randomUUID();
      const entry: JournalEntry = {
        uid,
        type: 'process',
        identifier: opts.identifier,
        argv: [...opts.argv],
        ...(opts.pid !== undefined ? { targetPid: opts.pid } : {}),
        namespaces: validateNamespaces(opts.namespaces ?? []),
        ...(opts.runAs ? { runAs: { uid: opts.runAs.uid, gid: opts.runAs.gid } } : {}),
        startedAtMs: Date.now(),
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
        ...(opts.chaos ? { chaos: { ...opts.chaos } } : {}),
        onRestart: opts.onRestart ?? 'kill',
      };
      let child: ChildProcess;
      try {
        journal.append({ op: 'begin', entry });
        const logFd = openSync(path.join(logDir, `${uid}.log`), 'a', 0o600);
        try {
          // detached: its own process group, so it can be killed as a group and survives a
          // daemon crash for the next daemon to find (the journal names it).
          child = spawn(argv[0], argv.slice(1), {
            shell: false,
            detached: true,
            env: { PATH: DEFAULT_PATH, [PROCESS_UID_ENV]: uid },
            stdio: ['ignore', logFd, logFd],
          });
          await new Promise<void>((resolve, reject) => {
            child.once('spawn', resolve);
            child.once('error', reject);
          });
        } finally {
          closeSync(logFd);
        }
      } catch (error) {
        identifiers.delete(opts.identifier);
        if (journal.active().some(e => e.uid === uid))
          journal.append({ op: 'end', uid, reason: 'start-failed' });
        rmSync(path.join(logDir, `${uid}.log`), { force: true });
        const code = (error as NodeJS.ErrnoException).code;
        throw new ChaosplaneError(
          code === 'ENOENT' ? 'not-found' : 'internal',
          `could not start ${JSON.stringify(argv[0])}: ${(error as Error).message}`,
          { cause: error, field: 'argv' },
        );
      }
      const pid = child.pid!;
      const startTime = processStartTime(pid) ?? '0';
      journal.append({ op: 'spawned', uid, pid, startTime });
      const t = track({ ...entry, pid, startTime }, 'running', child);
      child.on('exit', () => {
        // Ended by itself (or by us): once its group is gone too, forget it.
        if (!t.ending) void end(t, 'exited').catch(() => undefined);
      });
      logger.info('started managed process', { uid, identifier: opts.identifier, pid, argv: opts.argv });
      return { ...info(t), exited: t.exited };
    },

    async injectChange(opts) {
      const applyArgv = validateArgv(opts.apply?.argv, 'apply.argv');
      const undoArgv = validateArgv(opts.undo?.argv, 'undo.argv');
      const namespaces = validateNamespaces(opts.namespaces ?? []);
      const runAs = validateRunAs(opts.runAs);
      const target = {
        ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
        namespaces,
        ...(runAs ? { runAs } : {}),
      };
      commandArgv({ ...target, argv: applyArgv });
      const deadlineMs = deadlineOf(opts);
      let targetStartTime: string | undefined;
      let namespaceIds: NamespaceIds | undefined;
      if (opts.pid !== undefined) {
        targetStartTime = processStartTime(opts.pid);
        namespaceIds = readNamespaceIds(opts.pid, namespaces);
        if (targetStartTime === undefined || namespaceIds === undefined) {
          throw new ChaosplaneError('not-found', `target process ${opts.pid} does not exist`, {
            field: 'pid',
          });
        }
      }
      reserve(opts.identifier);
      const uid = randomUUID();
      const entry: JournalEntry = {
        uid,
        type: 'change',
        identifier: opts.identifier,
        argv: [],
        ...(opts.pid !== undefined ? { targetPid: opts.pid } : {}),
        namespaces,
        undo: {
          argv: [...undoArgv],
          ...(opts.pid !== undefined ? { targetPid: opts.pid } : {}),
          ...(targetStartTime !== undefined ? { targetStartTime } : {}),
          namespaces,
          ...(namespaceIds !== undefined ? { namespaceIds } : {}),
          ...(runAs ? { runAs } : {}),
        },
        startedAtMs: Date.now(),
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
        ...(opts.chaos ? { chaos: { ...opts.chaos } } : {}),
        onRestart: 'adopt',
      };
      // The undo is on disk before the change exists; if it cannot be written, nothing happened.
      try {
        journal.append({ op: 'begin', entry });
      } catch (error) {
        identifiers.delete(opts.identifier);
        throw error;
      }
      try {
        const result = await this.run({
          ...target,
          argv: applyArgv,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (result.exitCode !== 0) {
          throw new ChaosplaneError(
            'runtime',
            `apply ${JSON.stringify(applyArgv)} exited with ${result.exitCode ?? result.signal}: ${result.stderr.trim()}`,
          );
        }
      } catch (error) {
        // Half-applied changes are possible: undo, then report the apply failure either way.
        try {
          await undoChange(entry);
        } catch (undoError) {
          throw keepUndoPending(entry, error, undoError);
        }
        identifiers.delete(opts.identifier);
        journal.append({ op: 'end', uid, reason: 'apply-failed' });
        throw error;
      }
      const t = track(entry, 'running');
      logger.info('injected change', { uid, identifier: opts.identifier, targetPid: opts.pid });
      return info(t);
    },

    list(prefix) {
      return [...tracked.values()].filter(t => !prefix || t.entry.identifier.startsWith(prefix)).map(info);
    },

    async cancel(uid) {
      const t = tracked.get(uid);
      if (!t) return false;
      await end(t, 'cancelled');
      return true;
    },

    async recoverAll(filter = {}) {
      const selected = [...tracked.values()].filter(
        t =>
          (!filter.namespace || t.entry.chaos?.namespace === filter.namespace) &&
          (!filter.name || t.entry.chaos?.name === filter.name),
      );
      // Every entry gets its chance: one failure must not cut the others short.
      const results = await Promise.allSettled(selected.map(t => end(t, 'recovered')));
      const failures = results.flatMap((result, index) =>
        result.status === 'rejected' ? [`${selected[index]!.entry.uid}: ${String(result.reason)}`] : [],
      );
      if (failures.length > 0) {
        throw new ChaosplaneError(
          'runtime',
          `${failures.length} of ${selected.length} entries could not be recovered (they stay in the journal): ` +
            failures.join('; '),
        );
      }
      return selected.map(t => t.entry.uid);
    },

    async recoverFromJournal() {
      const report: JournalRecoveryReport = {
        killed: [],
        adopted: [],
        recovered: [],
        gone: [],
        orphanedRuns: [],
        failed: [],
      };
      // Called before this daemon runs anything: every marked short command is a predecessor's.
      for (const pid of findProcessesByEnv(RUN_OWNER_ENV, runEnv[RUN_OWNER_ENV])) {
        try {
          process.kill(pid, 'SIGKILL');
          report.orphanedRuns.push(pid);
        } catch {
          // Gone meanwhile.
        }
      }
      try {
        for (const entry of journal.active()) {
          if (tracked.has(entry.uid)) continue;
          try {
            await recoverEntry(entry, report);
          } catch (error) {
            // One bad entry must neither stop the daemon from starting nor skip the others.
            report.failed.push({ uid: entry.uid, error: String(error) });
            logger.error('could not recover a journal entry at start; it stays in the journal', {
              uid: entry.uid,
              identifier: entry.identifier,
              error: String(error),
            });
            // A change stays tracked: its (passed) deadline retries the undo every 5 s.
            if (entry.type === 'change' && !tracked.has(entry.uid)) track(entry, 'adopted');
          }
        }
      } finally {
        journal.compact();
      }
      logger.info('journal replayed', { ...report });
      return report;
    },

    async close(closeOptions = {}) {
      try {
        if (closeOptions.recover) await this.recoverAll();
      } catch (error) {
        logger.error('recovery on close failed; the journal keeps what is left for the next daemon', {
          error: String(error),
        });
        throw error;
      } finally {
        // Stopped either way: no timer may retry into a journal that is about to close.
        closed = true;
        for (const t of tracked.values()) {
          clearTimeout(t.timer);
          clearInterval(t.poller);
        }
      }
    },
  };
}
