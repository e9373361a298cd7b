// SPDX-License-Identifier: Apache-2.0
// Container logs as the CRI runtime writes them and the kubelet reads them: one file per container
// instance (`<namespace>_<pod>_<uid>/<container>/<restartCount>.log`), each line
// `<RFC 3339 nano time> <stdout|stderr> <F|P> <text>` (P: a partial line, cut at 16 KiB), the file
// rotated to `.1` past its size cap; read back for `kubectl logs` with tail, since, timestamps and
// a byte limit, or followed until the instance ended.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Longest line kept whole; longer ones are split into partial lines, as containerd does. */
const MAX_LINE_BYTES = 16 * 1024;
/** How often a followed log is checked for new lines. */
const FOLLOW_POLL_MS = 100;

/** Where the log files of one container of a pod live. */
export function containerLogDir(
  root: string,
  pod: { namespace: string; name: string; uid: string },
  container: string,
): string {
  return path.join(root, `${pod.namespace}_${pod.name}_${pod.uid}`, container);
}

/** A container instance's log file. */
export function logFileOf(dir: string, restartCount: number): string {
  return path.join(dir, `${restartCount}.log`);
}

/** Nanosecond RFC 3339 time, as CRI log lines carry it (`2024-05-01T10:00:00.123456789Z`). */
function criTime(date: Date, nanos: number): string {
  return date
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${String(nanos).padStart(6, '0')}Z`);
}

/** Writes one container instance's output as CRI log lines. */
export interface LogWriter {
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /** Flushes partial lines and closes the file. */
  close(): void;
}

/** Opens (appends to) the log file; rotates it to `.1` when it grows past `maxBytes`. */
export function createLogWriter(file: string, maxBytes: number): LogWriter {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let fd: number | undefined = fs.openSync(file, 'a', 0o640);
  let size = fs.fstatSync(fd).size;
  const pending: Record<'stdout' | 'stderr', Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  let sequence = 0;
  const emit = (stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: Buffer) => {
    if (fd === undefined) return;
    const line = Buffer.concat([
      Buffer.from(`${criTime(new Date(), sequence++ % 1_000_000)} ${stream} ${tag} `),
      text,
      Buffer.from('\n'),
    ]);
    if (size > 0 && size + line.length > maxBytes) {
      fs.closeSync(fd);
      fs.renameSync(file, `${file}.1`);
      fd = fs.openSync(file, 'a', 0o640);
      size = 0;
    }
    fs.writeSync(fd, line);
    size += line.length;
  };
  return {
    write(stream, chunk) {
      let buffer = Buffer.concat([pending[stream], chunk]);
      for (let nl = buffer.indexOf(0x0a); nl >= 0; nl = buffer.indexOf(0x0a)) {
        emit(stream, 'F', buffer.subarray(0, nl));
        buffer = buffer.subarray(nl + 1);
      }
      while (buffer.length >= MAX_LINE_BYTES) {
        emit(stream, 'P', buffer.subarray(0, MAX_LINE_BYTES));
        buffer = buffer.subarray(MAX_LINE_BYTES);
      }
      pending[stream] = buffer;
    },
    close() {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream].length > 0) emit(stream, 'F', pending[stream]);
        pending[stream] = Buffer.alloc(0);
      }
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

/** One parsed CRI log line. */
export interface LogEntry {
  time: string;
  stream: string;
  partial: boolean;
  text: string;
}

/** Parses CRI log lines (skipping malformed ones). */
export function parseLogLines(content: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of content.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
    if (m) entries.push({ time: m[1]!, stream: m[2]!, partial: m[3] === 'P', text: m[4]! });
  }
  return entries;
}

/** What `kubectl logs` asks for (the kubelet's containerLogs query). */
export interface LogQuery {
  tailLines?: number;
  /** Only lines at or after this time. */
  since?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

/** The entries as `kubectl logs` prints them. */
export function formatEntries(entries: LogEntry[], query: LogQuery): string {
  let out = '';
  let lineStart = true;
  for (const e of entries) {
    if (query.timestamps && lineStart) out += `${e.time} `;
    out += e.partial ? e.text : `${e.text}\n`;
    lineStart = !e.partial;
  }
  return out;
}

/** Entries after `since`, the last `tailLines` of them (a partial line counts with its end). */
export function selectEntries(entries: LogEntry[], query: LogQuery): LogEntry[] {
  let selected = query.since ? entries.filter(e => Date.parse(e.time) >= query.since!.getTime()) : entries;
  if (query.tailLines !== undefined) {
    if (query.tailLines <= 0) return [];
    let lines = 0;
    let start = selected.length;
    while (start > 0) {
      const e = selected[start - 1]!;
      if (!e.partial) {
        if (lines === query.tailLines) break;
        lines++;
      }
      start--;
    }
    selected = selected.slice(start);
  }
  return selected;
}

/** The whole log of an instance: its rotated file, then the current one. */
export function readLogFile(file: string): string {
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  return read(`${file}.1`) + read(file);
}

/** Cuts `text` to `limitBytes` (UTF-8). */
export function limitText(text: string, limitBytes: number | undefined): string {
  if (limitBytes === undefined) return text;
  const bytes = Buffer.from(text);
  return bytes.length <= limitBytes ? text : bytes.subarray(0, limitBytes).toString('utf8');
}

/**
 * Follows a log file from `offset`: yields what `kubectl logs -f` prints for each new complete
 * line, until `ended()` is true and everything was read, or `signal` aborts.
 */
export async function* followLog(
  file: string,
  offset: number,
  query: LogQuery,
  ended: () => boolean,
  signal: AbortSignal,
): AsyncGenerator<string> {
  let position = offset;
  let rest = '';
  while (!signal.aborted) {
    const finished = ended();
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      size = 0;
    }
    if (size < position) position = 0; // rotated: the new file starts from its beginning
    if (size > position) {
      const fd = fs.openSync(file, 'r');
      const buffer = Buffer.alloc(size - position);
      fs.readSync(fd, buffer, 0, buffer.length, position);
      fs.closeSync(fd);
      position = size;
      const text = rest + buffer.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      const entries = parseLogLines(text.slice(0, cut));
      const selected = query.since
        ? entries.filter(e => Date.parse(e.time) >= query.since!.getTime())
        : entries;
      if (selected.length > 0) yield formatEntries(selected, query);
    } else if (finished) {
      return;
    }
    await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
