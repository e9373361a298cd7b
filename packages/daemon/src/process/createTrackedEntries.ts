// SPDX-License-Identifier: Apache-2.0
// The live entries of the process manager: what is tracked by uid and identifier, the deadline
// timer of each, and how an entry ends (killed or undone, then journaled as ended).
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { Journal, JournalChaosRef, JournalEntry } from '../journal/createJournal.js';
import type { NamespaceName } from './namespaces.js';

// setTimeout's largest delay; longer deadlines are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;
/** How long a failed undo (or kill) waits before it is tried again. */
export const UNDO_RETRY_MS = 5000;

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

/** One live entry. */
export interface Tracked {
  entry: JournalEntry;
  state: 'running' | 'adopted';
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  poller?: NodeJS.Timeout;
  exited: Promise<void>;
  markExited: () => void;
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
  };
}

/** Creates the registry; `kill` ends process entries and `undo` change entries. */
export function createTrackedEntries(deps: {
  journal: Journal;
  logger: Logger;
  logDir: string;
  kill: EntryEnder;
  undo: EntryEnder;
}): TrackedEntries {
  const { journal, logger } = deps;
  const tracked = new Map<string, Tracked>();
  const identifiers = new Map<string, string>();
  let closed = false;

  const registry: TrackedEntries = {
    get: uid => tracked.get(uid),
    byIdentifier: identifier => {
      const uid = identifiers.get(identifier);
      return uid === undefined ? undefined : tracked.get(uid);
    },
    all: () => [...tracked.values()],
    reserve(identifier) {
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
    },
    release(identifier) {
      if (identifiers.get(identifier) === 'starting') identifiers.delete(identifier);
    },
    track(entry, state, child) {
      let markExited!: () => void;
      const exited = new Promise<void>(resolve => (markExited = resolve));
      const t: Tracked = { entry, state, exited, markExited, ...(child ? { child } : {}) };
      tracked.set(entry.uid, t);
      identifiers.set(entry.identifier, entry.uid);
      armDeadline(t);
      return t;
    },
    forget(t, reason) {
      if (!tracked.has(t.entry.uid)) return;
      clearTimeout(t.timer);
      clearInterval(t.poller);
      tracked.delete(t.entry.uid);
      if (identifiers.get(t.entry.identifier) === t.entry.uid) identifiers.delete(t.entry.identifier);
      journal.append({ op: 'end', uid: t.entry.uid, reason });
      rmSync(path.join(deps.logDir, `${t.entry.uid}.log`), { force: true });
      t.markExited();
    },
    end(t, reason) {
      t.ending ??= (async () => {
        await (t.entry.type === 'process' ? deps.kill(t.entry) : deps.undo(t.entry));
        registry.forget(t, reason);
      })();
      return t.ending;
    },
    retryLater(t) {
      clearTimeout(t.timer);
      if (!closed) t.timer = setTimeout(() => armDeadline(t), UNDO_RETRY_MS);
    },
    close() {
      closed = true;
      for (const t of tracked.values()) {
        clearTimeout(t.timer);
        clearInterval(t.poller);
      }
    },
  };

  function armDeadline(t: Tracked): void {
    const deadline = t.entry.deadlineMs;
    if (deadline === undefined || closed) return;
    const wait = Math.max(0, deadline - Date.now());
    t.timer = setTimeout(
      () => {
        if (Date.now() < deadline) return armDeadline(t);
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

  return registry;
}
