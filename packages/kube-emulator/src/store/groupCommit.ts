// SPDX-License-Identifier: Apache-2.0
/**
 * Group commit on an append-only file: lines that arrive while a flush is running wait for the
 * next flush, which writes them all with one write() and one fdatasync(). A batch that fails
 * part-way (a full disk, an I/O error) is cut off the file again.
 */
import * as fs from 'node:fs';
import { KubeEmulatorError } from '../errors.js';

/** The writer of one log file. */
export interface GroupCommit {
  /** Queues a line (with its newline); resolves once it is on disk. */
  append(line: string): Promise<void>;
  /** Whether a flush is running or lines are waiting for one. */
  readonly busy: boolean;
  /** Resolves once everything queued is written (or has failed). */
  idle(): Promise<void>;
}

interface Batch {
  buffer: string;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

function writeAll(fd: number, data: Buffer, offset: number, cb: (error: unknown) => void): void {
  fs.write(fd, data, offset, data.length - offset, null, (error, written) => {
    if (error) return cb(error);
    if (offset + written < data.length) return writeAll(fd, data, offset + written, cb);
    cb(null);
  });
}

/**
 * Creates the writer. `fd` gives the file's current descriptor (the log is reopened after a
 * compaction); `logPath` names it in errors.
 */
export function createGroupCommit(fd: () => number, logPath: string): GroupCommit {
  let pending: Batch = { buffer: '', waiters: [] };
  let flushing = false;
  // Set when a failed batch could not be cut off the log again: the log may end in part of a
  // record, and anything appended after it would make the directory unreadable, so every later
  // write is refused (until a restart, whose load cuts a torn tail).
  let broken: unknown;
  let idleWaiters: (() => void)[] = [];

  function flush(): void {
    if (flushing || pending.waiters.length === 0) {
      if (!flushing) {
        for (const w of idleWaiters) w();
        idleWaiters = [];
      }
      return;
    }
    flushing = true;
    const batch = pending;
    pending = { buffer: '', waiters: [] };
    const done = (error: unknown): void => {
      flushing = false;
      for (const w of batch.waiters) {
        if (error) w.reject(new KubeEmulatorError('Storage', `write to ${logPath} failed`, { cause: error }));
        else w.resolve();
      }
      flush();
    };
    if (broken !== undefined) return done(broken);
    writeBatch(fd(), Buffer.from(batch.buffer, 'utf8'), done);
  }

  function writeBatch(file: number, data: Buffer, done: (error: unknown) => void): void {
    let start: number;
    try {
      start = fs.fstatSync(file).size;
    } catch (error) {
      return done(error);
    }
    // A failed batch (a full disk, an I/O error) may have left part of itself in the log: cut
    // the log back to where the batch began, so the next batch does not follow a torn record
    // (which would make the whole directory unreadable at the next start).
    const rollback = (error: unknown): void =>
      fs.ftruncate(file, start, truncateError => {
        if (truncateError) broken = truncateError;
        done(error);
      });
    writeAll(file, data, 0, error => {
      if (error) return rollback(error);
      fs.fdatasync(file, syncError => (syncError ? rollback(syncError) : done(null)));
    });
  }

  return {
    get busy() {
      return flushing || pending.waiters.length > 0;
    },
    append(line) {
      return new Promise((resolve, reject) => {
        pending.buffer += line;
        pending.waiters.push({ resolve, reject });
        if (!flushing) setImmediate(flush);
      });
    },
    idle() {
      return new Promise<void>(resolve => {
        idleWaiters.push(resolve);
        if (!flushing) setImmediate(flush);
      });
    },
  };
}
