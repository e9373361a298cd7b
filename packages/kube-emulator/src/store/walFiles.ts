// SPDX-License-Identifier: Apache-2.0
/**
 * The files of a data directory's store: reading the snapshot and the write-ahead log back
 * (tolerating a torn last line from a crash), and writing a new snapshot atomically.
 */
import * as fs from 'node:fs';
import { KubeEmulatorError } from '../errors.js';
import { type KubeObject } from '../types.js';
import { type LoadedState, type PersistRecord } from './persistence.js';

function parseLines(text: string, onRecord: (value: unknown) => void): void {
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
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

/** Makes a directory's entries (a new or renamed file) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The latest record of every object, and the highest resourceVersion seen (header included). */
function createReplay(): {
  apply(value: unknown): void;
  resourceVersion(): number;
  byKey: Map<string, PersistRecord>;
} {
  let resourceVersion = 0;
  const byKey = new Map<string, PersistRecord>();
  return {
    byKey,
    resourceVersion: () => resourceVersion,
    apply(value) {
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
    },
  };
}

/**
 * Reads the snapshot, then the log on top of it. A torn tail of the log is cut so new records
 * start on a fresh line; `logRecords` is the number of lines the log holds.
 */
export function readStore(
  snapshotPath: string,
  logPath: string,
): { state: LoadedState; logRecords: number | undefined } {
  const replay = createReplay();
  if (fs.existsSync(snapshotPath))
    parseLines(fs.readFileSync(snapshotPath, 'utf8'), value => replay.apply(value));
  const snapshotResourceVersion = replay.resourceVersion();
  const snapshotObjects = new Map<string, KubeObject>();
  for (const [key, r] of replay.byKey) if (r.t === 'put') snapshotObjects.set(key, r.o);
  const log: PersistRecord[] = [];
  let logRecords: number | undefined;
  if (fs.existsSync(logPath)) {
    const text = fs.readFileSync(logPath, 'utf8');
    parseLines(text, value => {
      replay.apply(value);
      const r = value as PersistRecord;
      if (r.rv > snapshotResourceVersion) log.push(r);
    });
    logRecords = text.split('\n').length - 1;
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline !== text.length - 1) fs.truncateSync(logPath, lastNewline + 1);
  }
  const records = [...replay.byKey.values()].filter(r => r.t === 'put');
  // CRDs first: their custom resources need the resource type registered.
  records.sort((a, b) => {
    const ac = a.s === 'customresourcedefinitions.apiextensions.k8s.io' ? 0 : 1;
    const bc = b.s === 'customresourcedefinitions.apiextensions.k8s.io' ? 0 : 1;
    return ac - bc || a.rv - b.rv;
  });
  return {
    state: {
      resourceVersion: replay.resourceVersion(),
      records,
      snapshotResourceVersion,
      snapshotObjects,
      log,
    },
    logRecords,
  };
}

/** Writes a snapshot (a header line, then one record a line) to a temporary file, then renames it in place. */
export function writeSnapshot(
  dir: string,
  snapshotPath: string,
  state: { resourceVersion: number; records: PersistRecord[] },
): void {
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
}
