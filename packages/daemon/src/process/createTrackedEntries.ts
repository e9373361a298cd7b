// SPDX-License-Identifier: Apache-2.0
// The live entries of the process manager: what is tracked by uid and identifier, the deadline
// timer of each, and how an entry ends (killed or undone, then journaled as ended).
import type { ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { Journal, JournalChaosRef, JournalEntry } from '../journal/createJournal.js';
import type { NamespaceName } from './namespaces.js';

// setTimeout's largest delay; longer deadlines are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;
/** How long a failed undo (or kill) waits before it is tried again. */
export const UNDO_RETRY_MS = 5000;

/** A tracked process, change or contribution, as listed. */
export interface TrackedInfo {
  uid: string;
  type: 'process' | 'change' | 'contribution';
  identifier: string;
  pid?: number;
  argv: string[];
  targetPid?: number;
  namespaces: NamespaceName[];
  startedAtMs: number;
  deadlineMs?: number;
  chaos?: JournalChaosRef;
  state: 'running' | 'adopted';
  /** Changes and contributions: false while a failed one waits to be taken back. */
  applied?: boolean;
}

/** How a process entry ended. */
export interface ProcessEnd {
  /** Its exit code; null when a signal ended it, or when it was not this daemon's child (adopted). */
  exitCode: number | null;
  /** The signal that ended it, if any (null for an adopted process: unknown). */
  signal: NodeJS.Signals | null;
  /** The end of its output (stdout and stderr together), up to 4 KiB. */
  output: string;
}

/** How much of a process's output its end keeps. */
const OUTPUT_TAIL_BYTES = 4096;

/** One live entry. */
export interface Tracked {
  entry: JournalEntry;
  state: 'running' | 'adopted';
  child?: ChildProcess;
  /** How the child exited, once it has (this daemon's children only). */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  timer?: NodeJS.Timeout;
  poller?: NodeJS.Timeout;
  /** Resolves when the entry has ended and been forgotten (processes: with how they ended). */
  exited: Promise<ProcessEnd>;
  markExited: (end: ProcessEnd) => void;
  ending?: Promise<void>;
}

/** What ends an entry: kill its processes, or undo its change. */
export type EntryEnder = (entry: JournalEntry) => Promise<unknown>;

/** The registry of live entries. */
export interface TrackedEntries {
  get(uid: string): Tracked | undefined;
  /** The live entry holding `identifier`, if any. */
  byIdentifier(identifier: string): Tracked | undefined;
  all(): Tracked[];
  /** Claims an identifier for an entry about to start; `conflict` when it is in use. */
  reserve(identifier: string): void;
  /** Gives back an identifier whose entry never started. */
  release(identifier: string): void;
  /** Tracks an entry and arms its deadline. */
  track(entry: JournalEntry, state: Tracked['state'], child?: ChildProcess): Tracked;
  /** Journals an entry's end and stops tracking it. */
  forget(t: Tracked, reason: string): void;
  /** Kills or undoes an entry, then forgets it; one ending at a time per entry. */
  end(t: Tracked, reason: string): Promise<void>;
  /** Retries the ending of an entry later (its deadline has passed, or its undo failed). */
  retryLater(t: Tracked): void;
  /** Stops every timer; nothing is retried afterwards. */
  close(): void;
}

/** The listing of an entry. */
export function infoOf(t: Tracked): TrackedInfo {
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
    ...(e.applied !== undefined ? { applied: e.applied } : {}),
  };
}

/** The last `bytes` of a file, or '' when it cannot be read. */
function readTail(file: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Removes what a process entry kept on disk (its output log and its working directory) and returns
 * the end of its output.
 */
export function removeEntryFiles(dirs: { logDir: string; workDir: string }, uid: string): string {
  const log = path.join(dirs.logDir, `${uid}.log`);
  const output = readTail(log, OUTPUT_TAIL_BYTES);
  rmSync(log, { force: true });
  rmSync(path.join(dirs.workDir, uid), { recursive: true, force: true });
  return output;
}

/** What the registry is built on: `kill` ends process entries and `undo` change entries. */
interface TrackedEntriesDeps {
  journal: Journal;
  logger: Logger;
  logDir: string;
  /** Where processes get their working directories (`<stateDir>/work/<uid>`). */
  workDir: string;
  kill: EntryEnder;
  undo: EntryEnder;
  /** Ends contribution entries: the shared state rendered without them. */
  withdraw: EntryEnder;
}

/** The registry's state: its deps, the live entries by uid and the uid holding each identifier. */
interface EntriesState extends TrackedEntriesDeps {
  tracked: Map<string, Tracked>;
  /** Identifier → uid of its entry, or `'starting'` while reserved. */
  identifiers: Map<string, string>;
  /** Set on close: no timer is armed afterwards. */
  closed: boolean;
}

/** {@link TrackedEntries.reserve}: `invalid` for an empty identifier, `conflict` for one in use. */
function reserveIdentifier(identifiers: Map<string, string>, identifier: string): void {
  if (typeof identifier !== 'string' || identifier.length === 0) {
    throw new ChaosplaneError('invalid', 'identifier must be a non-empty string', {
      field: 'identifier',
    });
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

/** {@link TrackedEntries.forget}: stops its timers, journals its end, removes its log. */
function forgetEntry(state: EntriesState, t: Tracked, reason: string): void {
  const { tracked, identifiers } = state;
  if (!tracked.has(t.entry.uid)) return;
  clearTimeout(t.timer);
  clearInterval(t.poller);
  tracked.delete(t.entry.uid);
  if (identifiers.get(t.entry.identifier) === t.entry.uid) identifiers.delete(t.entry.identifier);
  state.journal.append({ op: 'end', uid: t.entry.uid, reason });
  const output = removeEntryFiles(state, t.entry.uid);
  t.markExited({ exitCode: t.exit?.code ?? null, signal: t.exit?.signal ?? null, output });
}

/** Ends the entry through `registry` at its deadline; a failed ending is retried later. */
function armDeadline(state: EntriesState, registry: TrackedEntries, t: Tracked): void {
  const { logger } = state;
  const deadline = t.entry.deadlineMs;
  if (deadline === undefined || state.closed) return;
  const wait = Math.max(0, deadline - Date.now());
  t.timer = setTimeout(
    () => {
      if (Date.now() < deadline) return armDeadline(state, registry, t);
      logger.info('deadline reached: recovering', { uid: t.entry.uid, identifier: t.entry.identifier });
      registry.end(t, 'deadline').catch((error: unknown) => {
        logger.error('recovery at deadline failed; retrying in 5 s', {
          uid: t.entry.uid,
          error: String(error),
        });
        t.ending = undefined;
        registry.retryLater(t);
      });
    },
    Math.min(wait, MAX_TIMER_MS),
  );
}

/** Creates the registry; `kill` ends process entries, `undo` changes and `withdraw` contributions. */
export function createTrackedEntries(deps: TrackedEntriesDeps): TrackedEntries {
  const state: EntriesState = { ...deps, tracked: new Map(), identifiers: new Map(), closed: false };
  const { tracked, identifiers } = state;

  const registry: TrackedEntries = {
    get: uid => tracked.get(uid),
    byIdentifier: identifier => {
      const uid = identifiers.get(identifier);
      return uid === undefined ? undefined : tracked.get(uid);
    },
    all: () => [...tracked.values()],
    reserve: identifier => reserveIdentifier(identifiers, identifier),
    release(identifier) {
      if (identifiers.get(identifier) === 'starting') identifiers.delete(identifier);
    },
    track(entry, entryState, child) {
      let markExited!: (end: ProcessEnd) => void;
      const exited = new Promise<ProcessEnd>(resolve => (markExited = resolve));
      const t: Tracked = { entry, state: entryState, exited, markExited, ...(child ? { child } : {}) };
      tracked.set(entry.uid, t);
      identifiers.set(entry.identifier, entry.uid);
      armDeadline(state, registry, t);
      return t;
    },
    forget: (t, reason) => forgetEntry(state, t, reason),
    end(t, reason) {
      const ender =
        t.entry.type === 'process' ? deps.kill : t.entry.type === 'change' ? deps.undo : deps.withdraw;
      t.ending ??= (async () => {
        await ender(t.entry);
        registry.forget(t, reason);
      })().catch((error: unknown) => {
        // A failed ending may be asked for again (a retried recover): it must run again, not fail at once.
        t.ending = undefined;
        throw error;
      });
      return t.ending;
    },
    retryLater(t) {
      clearTimeout(t.timer);
      if (!state.closed) t.timer = setTimeout(() => armDeadline(state, registry, t), UNDO_RETRY_MS);
    },
    close() {
      state.closed = true;
      for (const t of tracked.values()) {
        clearTimeout(t.timer);
        clearInterval(t.poller);
      }
    },
  };
  return registry;
}
