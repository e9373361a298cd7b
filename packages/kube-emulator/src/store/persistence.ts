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

function parseLines(text: string, onRecord: (value: unknown) => void): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    try {
      onRecord(JSON.parse(line));
    } catch (error) {
      // Only a torn final line (a crash during an unacknowledged write) is expected.
      if (i >= lines.length - 2) return;
      throw new KubeEmulatorError('Storage', `corrupt record at line ${i + 1}`, { cause: error });
    }
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** State letter and start time (clock ticks since boot, field 22) from /proc/PID/stat. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

const haveProc = fs.existsSync('/proc/self/stat');

/** Our own identity for the lock file: pid and, where /proc exists, the process start time. */
function lockContent(): string {
  const startTime = haveProc ? procStat(process.pid)?.startTime : undefined;
  return startTime ? `${process.pid} ${startTime}\n` : `${process.pid}\n`;
}

/**
 * Whether the process named in a lock file still owns it. `kill(pid, 0)` alone is not enough:
 * a SIGKILLed emulator stays a zombie until its parent reaps it, and its pid can be reused by
 * an unrelated process. With /proc a zombie (or dead) pid is not an owner, and neither is a
 * process whose start time differs from the one recorded in the lock.
 */
function lockOwnerAlive(pid: number, recordedStart: string | undefined): boolean {
  if (!haveProc) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return recordedStart === undefined || recordedStart === stat.startTime;
}

/**
 * Takes `DIR/lock` (holding our pid and start time) so two emulators never share a data
 * directory. A lock left by a killed process (gone, a zombie, or its pid now used by another
 * process) is taken over.
 */
function acquireLock(dir: string): () => void {
  const lockPath = path.join(dir, 'lock');
  const content = lockContent();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, content, { flag: 'wx' });
      return () => {
        // Only remove a lock that is still ours (a missing one is already gone).
        let current: string | undefined;
        try {
          current = fs.readFileSync(lockPath, 'utf8');
        } catch {
          current = undefined;
        }
        if (current === content) fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pidText, startTime] = fs.readFileSync(lockPath, 'utf8').trim().split(/\s+/);
      const holder = Number(pidText);
      if (
        Number.isInteger(holder) &&
        holder > 0 &&
        (holder === process.pid || lockOwnerAlive(holder, startTime))
      ) {
        throw new KubeEmulatorError(
          'Startup',
          `data directory ${dir} is in use by process ${holder} (lock file ${lockPath})`,
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new KubeEmulatorError('Startup', `cannot lock data directory ${dir}`);
}

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
  let pending: { buffer: string; waiters: { resolve: () => void; reject: (e: unknown) => void }[] } = {
    buffer: '',
    waiters: [],
  };
  let flushing = false;
  let closed = false;
  // Set when a failed batch could not be cut off the log again: the log may end in part of a
  // record, and anything appended after it would make the directory unreadable, so every later
  // write is refused (until a restart, whose load cuts a torn tail).
  let broken: unknown;
  let logRecords = 0;
  let idleWaiters: (() => void)[] = [];
  const compactAfter = options.compactAfter ?? 200_000;

  function openLog(): void {
    const created = !fs.existsSync(logPath);
    fd = fs.openSync(logPath, 'a');
    // A new file's directory entry must be durable too.
    if (created) fsyncDir(dir);
  }

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
    const data = Buffer.from(batch.buffer, 'utf8');
    const done = (error: unknown): void => {
      flushing = false;
      for (const w of batch.waiters) {
        if (error) w.reject(new KubeEmulatorError('Storage', `write to ${logPath} failed`, { cause: error }));
        else w.resolve();
      }
      flush();
    };
    if (broken !== undefined) return done(broken);
    let start: number;
    try {
      start = fs.fstatSync(fd).size;
    } catch (error) {
      return done(error);
    }
    // A failed batch (a full disk, an I/O error) may have left part of itself in the log: cut
    // the log back to where the batch began, so the next batch does not follow a torn record
    // (which would make the whole directory unreadable at the next start).
    const rollback = (error: unknown): void =>
      fs.ftruncate(fd, start, truncateError => {
        if (truncateError) broken = truncateError;
        done(error);
      });
    writeAll(data, 0, error => {
      if (error) return rollback(error);
      fs.fdatasync(fd, syncError => (syncError ? rollback(syncError) : done(null)));
    });
  }

  function writeAll(data: Buffer, offset: number, cb: (error: unknown) => void): void {
    fs.write(fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) return cb(error);
      if (offset + written < data.length) return writeAll(data, offset + written, cb);
      cb(null);
    });
  }

  return {
    get logRecords() {
      return logRecords;
    },
    load(): LoadedState {
      let resourceVersion = 0;
      const byKey = new Map<string, PersistRecord>();
      const apply = (value: unknown): void => {
        const r = value as PersistRecord & { header?: boolean; resourceVersion?: number };
        if (r.header) {
          resourceVersion = Math.max(resourceVersion, r.resourceVersion ?? 0);
          return;
        }
        resourceVersion = Math.max(resourceVersion, r.rv);
        const key = `${r.s}|${r.k}`;
        const existing = byKey.get(key);
        if (existing && existing.rv > r.rv) return;
        // Delete then re-insert keeps map order = order of last write, so CRDs
        // created before their custom resources are applied first.
        byKey.delete(key);
        byKey.set(key, r);
      };
      if (fs.existsSync(snapshotPath)) parseLines(fs.readFileSync(snapshotPath, 'utf8'), apply);
      const snapshotResourceVersion = resourceVersion;
      const snapshotObjects = new Map<string, KubeObject>();
      for (const [key, r] of byKey) if (r.t === 'put') snapshotObjects.set(key, r.o);
      const log: PersistRecord[] = [];
      if (fs.existsSync(logPath)) {
        const text = fs.readFileSync(logPath, 'utf8');
        parseLines(text, value => {
          apply(value);
          const r = value as PersistRecord;
          if (r.rv > snapshotResourceVersion) log.push(r);
        });
        logRecords = text.split('\n').length - 1;
        // Cut a torn tail so new records start on a fresh line.
        const lastNewline = text.lastIndexOf('\n');
        if (lastNewline !== text.length - 1) fs.truncateSync(logPath, lastNewline + 1);
      }
      const records = [...byKey.values()].filter(r => r.t === 'put');
      // CRDs first: their custom resources need the resource type registered.
      records.sort((a, b) => {
        const ac = a.s === 'customresourcedefinitions.apiextensions.k8s.io' ? 0 : 1;
        const bc = b.s === 'customresourcedefinitions.apiextensions.k8s.io' ? 0 : 1;
        return ac - bc || a.rv - b.rv;
      });
      openLog();
      return { resourceVersion, records, snapshotResourceVersion, snapshotObjects, log };
    },
    append(record: PersistRecord): Promise<void> {
      if (closed) return Promise.reject(new KubeEmulatorError('Storage', 'persistence is closed'));
      if (fd < 0) openLog();
      logRecords++;
      return new Promise((resolve, reject) => {
        pending.buffer += JSON.stringify(record) + '\n';
        pending.waiters.push({ resolve, reject });
        if (!flushing) setImmediate(flush);
      });
    },
    compact(dump): void {
      if (logRecords < compactAfter && fs.existsSync(snapshotPath)) return;
      if (flushing || pending.waiters.length > 0) return;
      const state = dump();
      const tmp = `${snapshotPath}.tmp`;
      const out = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(out, JSON.stringify({ header: true, resourceVersion: state.resourceVersion }) + '\n');
        let chunk = '';
        for (const r of state.records) {
          chunk += JSON.stringify(r) + '\n';
          if (chunk.length > 1 << 20) {
            fs.writeSync(out, chunk);
            chunk = '';
          }
        }
        fs.writeSync(out, chunk);
        fs.fsyncSync(out);
      } finally {
        fs.closeSync(out);
      }
      fs.renameSync(tmp, snapshotPath);
      fsyncDir(dir);
      if (fd >= 0) fs.closeSync(fd);
      fs.truncateSync(logPath, 0);
      openLog();
      logRecords = 0;
    },
    async close(): Promise<void> {
      if (flushing || pending.waiters.length > 0) {
        await new Promise<void>(resolve => {
          idleWaiters.push(resolve);
          if (!flushing) setImmediate(flush);
        });
      }
      closed = true;
      if (fd >= 0) fs.closeSync(fd);
      fd = -1;
      releaseLock();
    },
  };
}
