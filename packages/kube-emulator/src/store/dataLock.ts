// SPDX-License-Identifier: Apache-2.0
/**
 * The lock of a data directory: `DIR/lock` names the owning process (pid and, with /proc, its
 * start time), so two emulators never share a directory, and a lock left by a killed process is
 * taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeEmulatorError } from '../errors.js';

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
  // Field 3 is the state, field 22 the start time.
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
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
export function acquireLock(dir: string): () => void {
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
