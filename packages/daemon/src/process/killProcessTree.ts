// SPDX-License-Identifier: Apache-2.0
// Ends a tree of processes the daemon started, leaves first, without orphaning a child. nsenter
// forks the real command into the target's pid namespace and waits for it; that command's own
// children are in the target's pid namespace too, and a child whose parent dies before reaping
// it (a zombie, or a process that exits later) goes to the namespace's init. A container's init
// that does not reap (`sleep`, most application processes) keeps it as a zombie for the
// container's life.
//
// So a process is signalled only once it cannot fork any more (a SIGSTOP is pending) and has no
// child at all, zombies included. A parent is left running, waiting for its children, while they
// are stopped and signalled; the moment they are dead it is sent SIGSTOP: woken by their death
// it reaps them first, then stops, and cannot fork again. A shell in a loop that forked its next
// child before the SIGSTOP came has that child ended the same way, until it is caught childless.
// The last second of the hard limit kills without waiting for reaps: a tree left running would
// be worse than a zombie.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { childrenOf, isSameProcess, processTable, readProcStat, type ProcStat } from './procStat.js';

/** Options of {@link killProcessTree}. */
export interface KillTreeOptions {
  /** How long SIGTERM is given before SIGKILL; 0 sends SIGKILL at once. */
  graceMs: number;
  /** The tree's process-group leader, killed as a group at the end (it may hold members that dropped our markers). */
  leader?: { pid: number; startTime: string };
  /** How long SIGKILL is given before giving up; 5 s by default. */
  hardMs?: number;
}

/** How long a parent may leave its dead children unreaped before it is signalled regardless. */
const REAP_PATIENCE_MS = 1000;
/** How long one round may spend on one parent before it goes on with the rest of the tree. */
const SETTLE_MS = 250;

const signalled = (pid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // Already gone.
  }
};

const dead = (stat: ProcStat | undefined): boolean =>
  stat === undefined || stat.state === 'Z' || stat.state === 'X';
const stopped = (stat: ProcStat | undefined): boolean => stat?.state === 'T' || stat?.state === 't';
/**
 * Waits a moment between two looks at /proc: the next turn of the event loop for the first
 * looks (a stop or an exit takes microseconds), a millisecond after that, so that a long wait
 * leaves the CPU to the processes it waits for.
 */
const yieldOnce = (looks: number) => (looks < 20 ? new Promise(resolve => setImmediate(resolve)) : sleep(1));
/** A process by PID and start time: a reused PID is another key. */
const keyOf = (pid: number): string => `${pid}@${readProcStat(pid)?.startTime}`;

/** Waits until `pid` is stopped or dead (a few milliseconds, normally); true if stopped. */
async function untilStopped(pid: number, limitMs = 200): Promise<boolean> {
  const end = Date.now() + limitMs;
  for (let looks = 0; ; looks++) {
    const stat = readProcStat(pid);
    if (stopped(stat)) return true;
    if (dead(stat) || Date.now() > end) return false;
    await yieldOnce(looks);
  }
}

/** Waits until each of `pids` is dead (a zombie or gone), at most `limitMs`; true if so. */
async function untilDead(pids: readonly number[], limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  for (let looks = 0; !pids.every(pid => dead(readProcStat(pid))); looks++) {
    if (Date.now() > end) return false;
    await yieldOnce(looks);
  }
  return true;
}

/** The live processes of `roots` and of everything they started, parents before children. */
function liveTree(roots: readonly number[], table: Map<number, ProcStat>): number[] {
  const seen = new Set<number>();
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (seen.has(pid) || !table.has(pid)) continue;
    seen.add(pid);
    queue.push(...childrenOf(pid));
  }
  return [...seen].filter(pid => !dead(table.get(pid)));
}

/** The state of one kill. */
interface Kill {
  signal: NodeJS.Signals;
  /** The signal each process has had, by key: each is sent once. */
  sent: Map<string, NodeJS.Signals>;
  /** Since when each parent has held dead children it did not reap, by key. */
  unreapedSince: Map<string, number>;
  /** Whether any signal was sent. */
  any: boolean;
}

/** Sends the kill's signal, continuing the process after one that acts only when it runs. */
function send(pid: number, key: string, kill: Kill): boolean {
  if (!signalled(pid, kill.signal)) return false;
  if (kill.signal !== 'SIGKILL') signalled(pid, 'SIGCONT');
  kill.sent.set(key, kill.signal);
  kill.any = true;
  return true;
}

/**
 * Signals a process if it has no child: stops it first. Once a SIGSTOP is pending the process
 * cannot fork any more (the kernel aborts a fork that finds a signal pending, and a child forked
 * before is already listed), so a process without children then stays without. One with
 * children is left stopped for their turn. True when it signalled.
 */
function signalLeaf(pid: number, kill: Kill): boolean {
  const key = keyOf(pid);
  const had = kill.sent.get(key);
  if (dead(readProcStat(pid)) || had === kill.signal || had === 'SIGKILL') return false;
  if (!signalled(pid, 'SIGSTOP')) return false;
  return childrenOf(pid).length === 0 && keyOf(pid) === key && send(pid, key, kill);
}

/** Waits until `pid` is blocked (normally in wait() for a child), stopped or dead, at most `limitMs`. */
async function untilAsleep(pid: number, limitMs = 50): Promise<void> {
  const end = Date.now() + limitMs;
  for (let looks = 0; Date.now() <= end; looks++) {
    const state = readProcStat(pid)?.state;
    if (state === undefined || 'SDTtZX'.includes(state)) return;
    await yieldOnce(looks);
  }
}

/** Spins until each of `pids` is dead (they were just SIGKILLed: microseconds), then polls. */
async function untilDeadSoon(pids: readonly number[], limitMs: number): Promise<boolean> {
  const spinUntil = performance.now() + 2;
  while (!pids.every(pid => dead(readProcStat(pid))) && performance.now() < spinUntil) {
    // Spinning: each microsecond counts (see settleParent).
  }
  return untilDead(pids, limitMs);
}

/**
 * Ends the children of `pid` (all of them leaves) so that `pid` reaps them and is caught
 * childless. It is let run, so it waits in wait() for a child; its children are stopped and
 * signalled, and the moment they are dead it is sent SIGSTOP. Woken by their death, it reaps them
 * (wait() collects a dead child before it looks at pending signals) and then stops, and a fork
 * it tries meanwhile fails: it cannot start another child. Only a parent that reaped and forked
 * again before the SIGSTOP came has a new child; that one goes the same way, until this round's
 * time is up. A parent caught childless is signalled at once.
 */
async function settleParent(pid: number, key: string, kill: Kill): Promise<void> {
  for (const end = Date.now() + SETTLE_MS; Date.now() < end && keyOf(pid) === key;) {
    if (stopped(readProcStat(pid))) signalled(pid, 'SIGCONT');
    await untilAsleep(pid);
    const live = childrenOf(pid).filter(kid => !dead(readProcStat(kid)));
    if (live.some(kid => childrenOf(kid).length > 0)) return;
    const ended = live.filter(kid => signalLeaf(kid, kill));
    if (ended.length < live.length || !(await untilDeadSoon(ended, 50))) return;
    signalled(pid, 'SIGSTOP');
    await untilStopped(pid);
    const kids = childrenOf(pid);
    if (kids.length === 0) {
      if (kill.sent.get(key) === kill.signal) signalled(pid, 'SIGCONT');
      else send(pid, key, kill);
      return;
    }
    if (kids.every(kid => dead(readProcStat(kid))))
      kill.unreapedSince.set(key, kill.unreapedSince.get(key) ?? Date.now());
    else kill.unreapedSince.delete(key);
  }
}

/** One round's work on one live member of the tree, by what its children are. */
async function handleMember(pid: number, kill: Kill): Promise<void> {
  const kids = childrenOf(pid);
  if (kids.length === 0) {
    signalLeaf(pid, kill);
    return;
  }
  // Leaves first: a child with children of its own is settled before this one.
  if (kids.some(kid => childrenOf(kid).length > 0)) return;
  const key = keyOf(pid);
  const since = kill.unreapedSince.get(key);
  if (since !== undefined && Date.now() - since > REAP_PATIENCE_MS) {
    // It does not reap: its dead children go to whoever reaps orphans, the only way left to end it.
    if (kill.sent.get(key) !== kill.signal) send(pid, key, kill);
  } else {
    await settleParent(pid, key, kill);
  }
}

/** The tree's group, SIGKILLed once nothing marked is left and its leader still lives. */
function killLeaderGroup(options: KillTreeOptions, kill: Kill): void {
  const leader = options.leader;
  // The leader's group is checked before every signal: once the leader is gone its PID can be
  // reused by another group's leader, which must never receive ours.
  if (leader && isSameProcess(leader.pid, leader.startTime) && signalled(-leader.pid, 'SIGKILL'))
    kill.any = true;
}

/**
 * Signals the processes `members()` returns and everything they started, leaves first (SIGTERM,
 * then SIGKILL after `graceMs`), until none is left or the hard limit passes; each parent reaps
 * its children before it is signalled itself. Returns true when it signalled any.
 */
export async function killProcessTree(members: () => number[], options: KillTreeOptions): Promise<boolean> {
  const start = Date.now();
  const hardMs = options.hardMs ?? 5000;
  const hardUntil = start + options.graceMs + hardMs;
  // The last second (or half the hard limit) kills without waiting for reaps: a tree left
  // running is worse than a zombie.
  const bluntFrom = hardUntil - Math.min(1000, hardMs / 2);
  const kill: Kill = { signal: 'SIGTERM', sent: new Map(), unreapedSince: new Map(), any: false };
  const leaderAlive = () =>
    options.leader !== undefined && isSameProcess(options.leader.pid, options.leader.startTime);
  for (;;) {
    const live = liveTree(members(), processTable());
    if (live.length === 0 && !leaderAlive()) return kill.any;
    kill.signal = Date.now() - start >= options.graceMs ? 'SIGKILL' : 'SIGTERM';
    if (Date.now() >= bluntFrom) for (const pid of live.reverse()) send(pid, keyOf(pid), kill);
    else for (const pid of live) await handleMember(pid, kill);
    if (live.length === 0 && kill.signal === 'SIGKILL') killLeaderGroup(options, kill);
    if (Date.now() > hardUntil) {
      // Given up: nothing of the tree is left stopped by this kill.
      for (const pid of liveTree(members(), processTable())) signalled(pid, 'SIGCONT');
      return kill.any;
    }
    await sleep(25);
  }
}
