// SPDX-License-Identifier: Apache-2.0
// The stdio of a containerd process through FIFOs the shim opens by path, read and written here
// without tying up libuv's threadpool: the shim serializes Start calls and opens each output FIFO
// for writing with a blocking open(2) inside Start, so read ends opened with blocking opens on the
// (4-thread) threadpool could wait for a Start that waits for them. An output FIFO is opened
// O_NONBLOCK for reading together with a placeholder writer of our own: with no writer at all, a
// read would be EOF before the shim opened its end. The placeholder is closed once the shim has
// its writer (after Start), so EOF means the process ended and the shim copied everything. (O_RDWR
// for the read end would make this side a writer for good: no EOF ever.) A streamed stdin FIFO is
// opened O_RDWR (an open that never blocks); the process sees EOF after CloseIO.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { ChaosplaneError } from '@chaosplane/sdk';

/** The FIFOs of one process: stdin and stderr only when asked for. */
export interface ProcessFifos {
  /** Their private directory; remove it (recursively) once the process is deleted. */
  dir: string;
  /** The stdin FIFO's path, when the process has a stdin. */
  stdin?: string;
  /** The stdout FIFO's path (a terminal's one stream). */
  stdout: string;
  /** The stderr FIFO's path, unless the process has a terminal. */
  stderr?: string;
}

/** Options of {@link makeFifos}. */
export interface MakeFifosOptions {
  /** A stdin FIFO too. */
  stdin: boolean;
  /** False for a terminal, which has one output stream. */
  stderr: boolean;
  /** How the directory's name starts (`io-` by default), so a stray one says whose it is. */
  prefix?: string;
}

/**
 * Makes a private directory under `parent` with the process's FIFOs in it. The shim opens them by
 * path in its own mount namespace, so `parent` must have the same path there.
 */
export async function makeFifos(parent: string, options: MakeFifosOptions): Promise<ProcessFifos> {
  // mkdtemp makes it 0700: nobody else can open, replace or add to the FIFOs.
  const dir = await mkdtemp(path.join(parent, options.prefix ?? 'io-'));
  const fifos: ProcessFifos = {
    dir,
    stdout: path.join(dir, 'stdout'),
    ...(options.stdin ? { stdin: path.join(dir, 'stdin') } : {}),
    ...(options.stderr ? { stderr: path.join(dir, 'stderr') } : {}),
  };
  const paths = [fifos.stdout, fifos.stderr, fifos.stdin].filter((p): p is string => p !== undefined);
  // Node has no mkfifo(3); mkfifo(1) with an argv, never a shell.
  const made = spawnSync('mkfifo', ['-m', '0600', '--', ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (made.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    const why = made.error ? made.error.message : made.stderr.toString('utf8').trim();
    throw new ChaosplaneError('runtime', `cannot create FIFOs in ${dir}: ${why}`, { cause: made.error });
  }
  return fifos;
}

/** The read side of an output FIFO. */
export interface OutputReader {
  /** Resolves when the stream ended (EOF once the placeholder is released) or was destroyed. */
  readonly ended: Promise<void>;
  /** Closes the placeholder writer: EOF comes when the shim closes its end. */
  releasePlaceholder(): void;
  /** Stops reading and closes every descriptor (output still in flight is dropped). */
  destroy(): void;
}

/** Opens an output FIFO for reading, before the process is created; every chunk goes to `onData`. */
export function openOutput(fifoPath: string, onData: (chunk: Buffer) => void): OutputReader {
  const readFd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let placeholder: number | undefined;
  try {
    // Cannot fail with ENXIO: there is a reader now.
    placeholder = fs.openSync(fifoPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    fs.closeSync(readFd);
    throw error;
  }
  const releasePlaceholder = (): void => {
    if (placeholder !== undefined) fs.closeSync(placeholder);
    placeholder = undefined;
  };
  // A pipe handle: libuv reads it non-blocking through epoll.
  const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
  socket.on('data', onData);
  const ended = new Promise<void>(resolve => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
  return {
    ended,
    releasePlaceholder,
    destroy() {
      releasePlaceholder();
      socket.destroy();
    },
  };
}

/**
 * After the process exited: releases the placeholders and resolves once every stream reached EOF,
 * or after `ms` (what the shim had not copied by then is dropped).
 */
export async function drainOutput(readers: readonly OutputReader[], ms: number): Promise<void> {
  for (const reader of readers) reader.releasePlaceholder();
  const timer = setTimeout(() => readers.forEach(r => r.destroy()), ms);
  await Promise.all(readers.map(r => r.ended));
  clearTimeout(timer);
}

/** The write side of a streamed stdin FIFO. */
export interface InputWriter {
  /** Queues `chunk` for the process (dropped once the FIFO is closed). */
  write(chunk: Buffer): void;
  /**
   * Closes our end once what was written is in the FIFO, then resolves (the process sees EOF once
   * the shim's own writer is closed by CloseIO).
   */
  end(): Promise<void>;
}

/** Opens a stdin FIFO for writing as it comes (an interactive exec), without blocking. */
export function openInput(fifoPath: string): InputWriter {
  const fd = fs.openSync(fifoPath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const socket = new net.Socket({ fd, readable: false, writable: true });
  // EPIPE when the process exits without reading it all: what it did not read is dropped.
  socket.on('error', () => socket.destroy());
  return {
    write: chunk => {
      if (!socket.destroyed) socket.write(chunk);
    },
    end: () =>
      new Promise<void>(resolve => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
      }),
  };
}

/** A whole stdin given up front, being written: see {@link writeInputOnce}. */
export interface InputOnce {
  /** Resolves once it was written and our end closed (or could not be). */
  readonly written: Promise<void>;
  /** Stops writing; unblocks an open that is still waiting for the shim's reader. */
  release(): void;
}

/**
 * Writes a whole stdin to its FIFO and closes our end (the daemon's exec, whose stdin is a string).
 * Called after Start, when the shim's reader is open or about to be (it opens it in a goroutine),
 * so the blocking open(2) on the threadpool returns at once; `release` unblocks it if that never
 * happens. Unlike {@link openInput}, this side holds no reader: a process that exits without
 * reading ends the write with EPIPE instead of leaving it pending.
 */
export function writeInputOnce(fifoPath: string, data: string): InputOnce {
  let socket: net.Socket | undefined;
  let released = false;
  let holder: number | undefined;
  const written = new Promise<void>(resolve => {
    fs.open(fifoPath, fs.constants.O_WRONLY, (error, fd) => {
      if (holder !== undefined) fs.close(holder, () => undefined);
      if (error) return resolve();
      if (released) return fs.close(fd, () => resolve());
      socket = new net.Socket({ fd, readable: false, writable: true });
      // EPIPE when the process exits without reading it all: what it did not read is dropped.
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.end(data);
    });
  });
  return {
    written,
    release() {
      if (released) return;
      released = true;
      if (socket) return void socket.destroy();
      try {
        // Never blocks, and is a reader: the pending open returns (and is closed at once).
        holder = fs.openSync(fifoPath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      } catch {
        // Already removed: the pending open fails with ENOENT instead.
      }
    },
  };
}
