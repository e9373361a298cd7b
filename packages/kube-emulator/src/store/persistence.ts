// SPDX-License-Identifier: Apache-2.0
/**
 * Durable storage for the emulator: a snapshot plus an append-only write-ahead log in one
 * directory. Every acknowledged write is fsynced before its reply; concurrent writes share one
 * fsync (group commit): records that arrive while a flush is running wait for the next flush,
 * which writes them all with one write() and one fdatasync().
 *
 * Records are idempotent (a put carries the whole object and its resourceVersion, a delete
 * carries the resourceVersion of the deletion), so a replay on top of a newer snapshot is safe.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeEmulatorError } from '../errors.js';
import { type KubeObject } from '../types.js';
import { acquireLock } from './dataLock.js';
import { createGroupCommit } from './groupCommit.js';
import { fsyncDir, readStore, writeSnapshot } from './walFiles.js';

/** One log record. */
export type PersistRecord =
  | { t: 'put'; s: string; k: string; rv: number; o: KubeObject }
  | { t: 'del'; s: string; k: string; rv: number };

/** What `load` found on disk. */
export interface LoadedState {
  resourceVersion: number;
  /** Objects in the order they should be applied (CRDs before custom resources). */
  records: PersistRecord[];
  /** The resourceVersion of the snapshot; the log holds every change after it. */
  snapshotResourceVersion: number;
  /** Objects of the snapshot by `storageKey|key`, the base the log's changes apply to. */
  snapshotObjects: Map<string, KubeObject>;
  /** Log records after the snapshot, in commit order (for rebuilding watch history). */
  log: PersistRecord[];
}

/** The durable log. */
export interface Persistence {
  /** Reads snapshot and log (tolerating a torn last line from a crash). */
  load(): LoadedState;
  /** Queues a record; resolves once it is on disk. */
  append(record: PersistRecord): Promise<void>;
  /** Rewrites the snapshot from `dump` and empties the log. `dump` must return the full state. */
  compact(dump: () => { resourceVersion: number; records: PersistRecord[] }): void;
  /** Number of records in the log since the last compaction. */
  readonly logRecords: number;
  /** Waits for pending writes, then closes the files. */
  close(): Promise<void>;
}

const SNAPSHOT = 'snapshot.jsonl';
const LOG = 'wal.jsonl';

/**
 * Opens (creating if needed) a data directory.
 * @param dir the directory given as `--data`
 * @param options.compactAfter log records after which the log is folded into the snapshot
 */
export function createPersistence(dir: string, options: { compactAfter?: number } = {}): Persistence {
  fs.mkdirSync(dir, { recursive: true });
  const releaseLock = acquireLock(dir);
  const logPath = path.join(dir, LOG);
  const snapshotPath = path.join(dir, SNAPSHOT);
  let fd = -1;
  let closed = false;
  let logRecords = 0;
  const compactAfter = options.compactAfter ?? 200_000;
  const writer = createGroupCommit(() => fd, logPath);

  function openLog(): void {
    const created = !fs.existsSync(logPath);
    fd = fs.openSync(logPath, 'a');
    // A new file's directory entry must be durable too.
    if (created) fsyncDir(dir);
  }

  return {
    get logRecords() {
      return logRecords;
    },
    load(): LoadedState {
      const { state, logRecords: lines } = readStore(snapshotPath, logPath);
      if (lines !== undefined) logRecords = lines;
      openLog();
      return state;
    },
    append(record: PersistRecord): Promise<void> {
      if (closed) return Promise.reject(new KubeEmulatorError('Storage', 'persistence is closed'));
      if (fd < 0) openLog();
      logRecords++;
      return writer.append(JSON.stringify(record) + '\n');
    },
    compact(dump): void {
      if (logRecords < compactAfter && fs.existsSync(snapshotPath)) return;
      if (writer.busy) return;
      writeSnapshot(dir, snapshotPath, dump());
      if (fd >= 0) fs.closeSync(fd);
      fs.truncateSync(logPath, 0);
      openLog();
      logRecords = 0;
    },
    async close(): Promise<void> {
      if (writer.busy) await writer.idle();
      closed = true;
      if (fd >= 0) fs.closeSync(fd);
      fd = -1;
      releaseLock();
    },
  };
}
