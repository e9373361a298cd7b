// SPDX-License-Identifier: Apache-2.0
// Ends a tree of processes the daemon started, leaves first. nsenter forks the real command
// into the target's pid namespace and waits for it; killing nsenter first would orphan the
// command to whoever reaps orphans (the node's init or a subreaper, and an init that does not
// reap leaves a zombie in the container's pid namespace). Killed leaves first, each parent
// reaps its child and then exits by itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { isSameProcess, readProcStat } from './procStat.js';

/** Options of {@link killProcessTree}. */
export interface KillTreeOptions {
  /** How long SIGTERM is given before SIGKILL; 0 sends SIGKILL at once. */
  graceMs: number;
  /** The tree's process-group leader, killed as a group at the end (it may hold members that dropped our markers). */
  leader?: { pid: number; startTime: string };
  /** How long SIGKILL is given before giving up; 5 s by default. */
  hardMs?: number;
}

const signalled = (pid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // Already gone.
  }
};

/** The members of `live` that are no other member's parent. */
function leavesOf(live: readonly number[]): number[] {
  const parents = new Set(live.map(pid => readProcStat(pid)?.ppid));
  const leaves = live.filter(pid => !parents.has(pid));
  // A cycle cannot happen in a process tree; guard anyway so something is always signalled.
  return leaves.length > 0 ? leaves : [...live];
}

/**
 * Signals the processes `members()` returns, leaves first (SIGTERM, then SIGKILL after
 * `graceMs`), until none is left or the hard limit passes. Returns true when it signalled any.
 */
export async function killProcessTree(members: () => number[], options: KillTreeOptions): Promise<boolean> {
  const start = Date.now();
  const hardUntil = start + options.graceMs + (options.hardMs ?? 5000);
  const sent = new Map<number, NodeJS.Signals>();
  let any = false;
  const leaderAlive = () =>
    options.leader !== undefined && isSameProcess(options.leader.pid, options.leader.startTime);
  for (;;) {
    const live = members();
    if (live.length === 0 && !leaderAlive()) return any;
    const signal: NodeJS.Signals = Date.now() - start >= options.graceMs ? 'SIGKILL' : 'SIGTERM';
    for (const pid of leavesOf(live)) {
      if (sent.get(pid) === signal || sent.get(pid) === 'SIGKILL') continue;
      if (signalled(pid, signal)) any = true;
      sent.set(pid, signal);
    }
    // The leader's group is checked before every signal: once the leader is gone its PID can be
    // reused by another group's leader, which must never receive ours.
    if (
      live.length === 0 &&
      signal === 'SIGKILL' &&
      leaderAlive() &&
      signalled(-options.leader!.pid, 'SIGKILL')
    )
      any = true;
    if (Date.now() > hardUntil) return any;
    await sleep(25);
  }
}
