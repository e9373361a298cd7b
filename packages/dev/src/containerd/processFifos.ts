// SPDX-License-Identifier: Apache-2.0
// The stdio of a containerd process through FIFOs the shim opens by path, read and written here
// without tying up libuv's threadpool. An output FIFO is opened O_NONBLOCK for reading together
// with a placeholder writer of our own: with no writer at all, a read would be EOF before the
// shim opened its end. The placeholder is closed once the shim has its writer (after Start), so
// EOF means the process ended and the shim copied everything. The stdin FIFO is opened O_RDWR
// (an open that never blocks); the process sees EOF after CloseIO.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';

/** The FIFOs of one process: stdin and stderr only when asked for. */
export interface ProcessFifos {
  dir: string;
  stdin?: string;
  stdout: string;
  stderr?: string;
}

/** Makes a private directory (0700) under `parent` with the process's FIFOs in it. */
export async function makeFifos(
  parent: string,
  streams: { stdin: boolean; stderr: boolean },
): Promise<ProcessFifos> {
  const dir = await mkdtemp(path.join(parent, 'io-'));
  const fifos: ProcessFifos = {
    dir,
    stdout: path.join(dir, 'stdout'),
    ...(streams.stdin ? { stdin: path.join(dir, 'stdin') } : {}),
    ...(streams.stderr ? { stderr: path.join(dir, 'stderr') } : {}),
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
  /** Stops reading and closes every descriptor. */
  destroy(): void;
}

/** Opens an output FIFO for reading; every chunk goes to `onData`. */
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

/** The write side of a stdin FIFO. */
export interface InputWriter {
  write(chunk: Buffer): void;
  /**
   * Closes our end once what was written is in the FIFO, then resolves (the process sees EOF once
   * the shim's own writer is closed by CloseIO).
   */
  end(): Promise<void>;
}

/** Opens a stdin FIFO for writing, without blocking. */
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
