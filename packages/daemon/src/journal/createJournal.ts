// SPDX-License-Identifier: Apache-2.0
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

import { ChaosplaneError } from '@chaosplane/sdk';

import type { NamespaceIds } from '../process/namespaceIdentity.js';
import type { JournalContribution } from '../process/sharedState.js';
import type { NamespaceName, RunAs } from '../process/namespaces.js';
import { isSameProcess, processStartTime } from '../process/procStat.js';

/** Who an entry was started for: the chaos object the controller named in metadata. */
export interface JournalChaosRef {
  /** Its namespace. */
  namespace: string;
  /** Its name. */
  name: string;
}

/** The undo of an injected change: a command run in the target's namespaces, or exec'd in its container. */
export interface JournalUndo {
  argv: string[];
  /** Written to the undo command's stdin. */
  stdin?: string;
  /**
   * Set when the change was made as the container's own user: the undo is exec'd through the
   * container runtime in this container (`containerd://…`), not entered with nsenter.
   */
  execIn?: string;
  targetPid?: number;
  /** Start time of the target, so the undo never enters a process that reused its PID. */
  targetStartTime?: string;
  namespaces: NamespaceName[];
  /**
   * The identity of each namespace entered (`/proc/PID/ns/<name>` link text), so the undo can
   * run through another process that holds them once the target is gone (a restarted app
   * container leaves its pod's network namespace behind). Absent in entries written before it
   * was recorded: for those, a gone target means the undo is skipped.
   */
  namespaceIds?: NamespaceIds;
  /** The user the undo runs as (the one the change was applied as). */
  runAs?: RunAs;
}

/** A tracked long-running process, injected change or shared-state contribution, as the journal knows it. */
export interface JournalEntry {
  uid: string;
  type: 'process' | 'change' | 'contribution';
  identifier: string;
  /** Process entries: the command; change entries: empty (see `undo`). */
  argv: string[];
  targetPid?: number;
  namespaces: NamespaceName[];
  /** The user the command runs as in the target's namespaces; root when absent. */
  runAs?: RunAs;
  /** Process entries, once spawned: the PID and its /proc start time. */
  pid?: number;
  startTime?: string;
  undo?: JournalUndo;
  /** Contribution entries: the shared state, its scope and the value contributed. */
  contribution?: JournalContribution;
  startedAtMs: number;
  /** Unix ms at which the daemon recovers the entry by itself. */
  deadlineMs?: number;
  chaos?: JournalChaosRef;
  /** What a restarted daemon does with a live process: kill it (default) or adopt it. */
  onRestart: 'kill' | 'adopt';
  /**
   * Changes and contributions: false from `begin` until the apply command has exited 0 (or the
   * render with the contribution has finished; then an `applied` record sets it). A restarted
   * daemon undoes a change whose apply never finished, and drops such a contribution, instead of
   * adopting it. Absent in entries written before it was recorded: those are taken as applied.
   */
  applied?: boolean;
}

/** One line of the journal file. */
export type JournalRecord =
  | { op: 'begin'; entry: JournalEntry }
  | { op: 'spawned'; uid: string; pid: number; startTime: string }
  /** The entry's deadline moved (a change whose apply failed and whose undo must be retried now). */
  | { op: 'deadline'; uid: string; deadlineMs: number }
  /** A change's apply command exited 0: the change is in place. */
  | { op: 'applied'; uid: string }
  | { op: 'end'; uid: string; reason: string };

/** The on-node journal: append-only, each record fsynced before the action it announces. */
export interface Journal {
  /** The file (`<stateDir>/journal.jsonl`). */
  readonly file: string;
  /** Entries that have begun and not ended, as of the last append or replay. */
  active(): JournalEntry[];
  /** Appends one record and fsyncs it; returns only once it is on disk. */
  append(record: JournalRecord): void;
  /** Rewrites the file with only the active entries (atomic rename), so it never grows forever. */
  compact(): void;
  /** Closes the file and releases the state directory's lock. */
  close(): void;
}

/**
 * Takes `<stateDir>/daemon.lock` (created exclusively, holding `pid starttime`), so two daemons
 * never share a journal. A lock whose process is gone (or whose PID was reused) is taken over.
 * Returns the release function.
 */
function lockStateDir(stateDir: string): () => void {
  const lockFile = path.join(stateDir, 'daemon.lock');
  const mine = `${process.pid} ${processStartTime(process.pid) ?? '0'}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, mine);
      fsyncSync(fd);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = '';
      try {
        holder = readFileSync(lockFile, 'utf8');
      } catch {
        // Released meanwhile: try again.
      }
      const [pid, startTime] = holder.trim().split(' ');
      if (pid && startTime && isSameProcess(Number(pid), startTime)) {
        throw new ChaosplaneError(
          'conflict',
          `state directory ${stateDir} is in use by another chaos daemon (pid ${pid}, see ${lockFile}); ` +
            'two daemons must never share a journal',
          { field: 'stateDir' },
        );
      }
      if (attempt >= 2) {
        throw new ChaosplaneError('conflict', `could not take the lock ${lockFile}: it keeps changing`, {
          field: 'stateDir',
        });
      }
      // Its holder is gone: remove the stale lock; the exclusive create decides who wins a race.
      try {
        unlinkSync(lockFile);
      } catch {
        // Someone else removed it first.
      }
    }
  }
  return () => {
    try {
      if (readFileSync(lockFile, 'utf8') === mine) unlinkSync(lockFile);
    } catch {
      // Already gone.
    }
  };
}

/** Applies one journal record to the entries it knows (appends and replay alike). */
function applyRecord(entries: Map<string, JournalEntry>, record: JournalRecord): void {
  if (record.op === 'begin') {
    entries.set(record.entry.uid, { ...record.entry });
    return;
  }
  if (record.op === 'end') {
    entries.delete(record.uid);
    return;
  }
  const entry = entries.get(record.uid);
  if (!entry) return;
  if (record.op === 'spawned') Object.assign(entry, { pid: record.pid, startTime: record.startTime });
  else if (record.op === 'deadline') entry.deadlineMs = record.deadlineMs;
  else entry.applied = true;
}

/** Replays the journal file into `entries`; lines that do not parse (a torn tail) are skipped. */
function replayInto(journalFile: string, entries: Map<string, JournalEntry>): void {
  let text: string;
  try {
    text = readFileSync(journalFile, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      applyRecord(entries, JSON.parse(line) as JournalRecord);
    } catch {
      // A torn or foreign line: its action never happened (every action waits for its fsync).
    }
  }
}

/** Cuts a torn last line (a crash mid-write) so the next record starts on a line of its own. */
function truncateTornTail(file: string): void {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch {
    return;
  }
  if (content.length === 0 || content[content.length - 1] === 0x0a) return;
  truncateSync(file, content.lastIndexOf(0x0a) + 1);
}

/**
 * Opens (creating if needed) the journal in `stateDir` and replays it into memory. A torn last
 * line, left by a crash in the middle of a write, is ignored and cut off: its action never
 * happened, because every action waits for its record's fsync. The state directory is locked
 * (`daemon.lock`) until close(): a second daemon on it fails with kind `conflict`.
 */
export function createJournal(stateDir: string, options: { compactEvery?: number } = {}): Journal {
  // Ended entries are dead weight; rewrite the file now and then so it stays small.
  const compactEvery = options.compactEvery ?? 1000;
  let appendsSinceCompact = 0;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const release = lockStateDir(stateDir);
  const file = path.join(stateDir, 'journal.jsonl');
  const entries = new Map<string, JournalEntry>();
  let fd: number;
  try {
    replayInto(file, entries);
    truncateTornTail(file);
    fd = openSync(file, 'a', 0o600);
  } catch (error) {
    release();
    throw error;
  }

  const journal: Journal = {
    file,
    active: () => [...entries.values()].map(e => ({ ...e })),
    append(record) {
      if (fd < 0) throw new ChaosplaneError('internal', `journal ${file} is closed`);
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
      applyRecord(entries, record);
      if (++appendsSinceCompact >= compactEvery) journal.compact();
    },
    compact() {
      appendsSinceCompact = 0;
      const temporary = `${file}.tmp`;
      const tmpFd = openSync(temporary, 'w', 0o600);
      for (const entry of entries.values()) {
        const { pid, startTime, ...begin } = entry;
        writeSync(tmpFd, `${JSON.stringify({ op: 'begin', entry: begin } satisfies JournalRecord)}\n`);
        if (pid !== undefined && startTime !== undefined) {
          writeSync(
            tmpFd,
            `${JSON.stringify({ op: 'spawned', uid: entry.uid, pid, startTime } satisfies JournalRecord)}\n`,
          );
        }
      }
      fsyncSync(tmpFd);
      closeSync(tmpFd);
      closeSync(fd);
      renameSync(temporary, file);
      // The rename is durable only once the directory is synced.
      const dirFd = openSync(stateDir, 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
      fd = openSync(file, 'a', 0o600);
    },
    close() {
      if (fd >= 0) {
        closeSync(fd);
        release();
      }
      fd = -1;
    },
  };
  return journal;
}
