// SPDX-License-Identifier: Apache-2.0
// A daemon the harness runs on the host (containerd, dockerd): started with its output in a log
// file under its directory, stopped with SIGTERM then SIGKILL, and the mounts it left removed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starts `command` with stdout and stderr appended to `logFile`, in a process group of its own:
 * a Ctrl-C (or `timeout`) signals the terminal's whole group, and containerd must outlive the
 * containers it still runs until the control plane has stopped them, in order.
 */
export function spawnHostDaemon(command: string, args: string[], logFile: string): ChildProcess {
  const logFd = openSync(logFile, 'a');
  const daemon = spawn(command, args, { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  return daemon;
}

/** The last 20 lines of a daemon's log, for an error that says why it did not start. */
export function logTail(logFile: string): string {
  return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
}

/** Sends SIGTERM, waits up to `graceMs` for the daemon to exit, then sends SIGKILL. */
export async function stopHostDaemon(daemon: ChildProcess, graceMs: number): Promise<void> {
  daemon.kill('SIGTERM');
  const giveUp = new AbortController();
  await Promise.race([
    new Promise(resolve => daemon.once('exit', resolve)),
    sleep(graceMs, undefined, { signal: giveUp.signal }).catch(() => undefined),
  ]);
  giveUp.abort();
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
}

/** Lazily unmounts everything mounted under `dir`, deepest first. */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map(line => line.split(' ')[1] ?? '')
    .filter(target => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) {
    try {
      execFileSync('umount', ['-l', target], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}
