// SPDX-License-Identifier: Apache-2.0
import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/PID/stat the daemon reads. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead)… */
  state: string;
  /** Field 4: the parent's PID. */
  ppid: number;
  /** Field 5: the process group. */
  pgrp: number;
  /** Field 9: the kernel's PF_* flags. */
  flags: number;
  /** Field 22: start time in clock ticks since boot. */
  startTime: string;
}

/** Reads /proc/PID/stat; undefined when no such process exists (or it vanished meanwhile). */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3, so field N is fields[N - 3].
  return {
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    flags: Number(fields[6]),
    startTime: fields[19]!,
  };
}

/**
 * The start time of a process (field 22 of /proc/PID/stat, clock ticks since boot), or
 * undefined when no such process exists. PID + start time names one process for the life of
 * the machine: a reused PID has another start time, so it is never mistaken for ours.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  // A zombie counts as gone.
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat.startTime;
}

/** True when `pid` is alive and still the process that had `startTime`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return processStartTime(pid) === startTime;
}

/** Every process on this host but this one, zombies included, with its stat. */
export function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const stat = readProcStat(pid);
    if (stat !== undefined) table.set(pid, stat);
  }
  return table;
}

/**
 * The children of `pid`, zombies included (from /proc/PID/task/TID/children, or a scan of /proc
 * where the kernel lacks that file); empty once it is gone.
 */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  try {
    return tasks.flatMap(tid =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return [];
    // No CONFIG_PROC_CHILDREN (or the task ended meanwhile): who names `pid` as its parent.
    return [...processTable()].filter(([, stat]) => stat.ppid === pid).map(([child]) => child);
  }
}

/** PIDs of live (not zombie) processes on this host, with their stat. */
function* liveProcesses(): Generator<{ pid: number; stat: ProcStat }> {
  for (const [pid, stat] of processTable()) {
    if (stat.state !== 'Z' && stat.state !== 'X') yield { pid, stat };
  }
}

/** PIDs of the live members of process group `pgrp`. */
export function findProcessesByGroup(pgrp: number): number[] {
  return [...liveProcesses()].filter(({ stat }) => stat.pgrp === pgrp).map(({ pid }) => pid);
}

/**
 * PIDs of live processes whose environment holds `NAME=value`. The daemon marks every process it
 * starts this way, so children of a lost process are found even without a recorded PID.
 */
export function findProcessesByEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const { pid } of liveProcesses()) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      // Entries are NUL-terminated; prefix with NUL so a match is a whole entry.
      if (Buffer.concat([Buffer.from([0]), environ]).includes(Buffer.concat([Buffer.from([0]), needle])))
        found.push(pid);
    } catch {
      // Gone, or a kernel thread: not ours.
    }
  }
  return found;
}
