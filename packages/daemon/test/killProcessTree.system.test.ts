// SPDX-License-Identifier: Apache-2.0
// killProcessTree against trees that keep forking, inside a pid namespace whose init never reaps
// (as a container's `sleep` or application process): nothing it kills may be left there as a
// zombie. A shell in a loop forks a new child the moment the last one dies, so a parent killed
// right after its child (before reaping it, or after forking another) leaves one behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { killProcessTree } from '../src/process/killProcessTree.js';
import { findProcessesByEnv, readProcStat } from '../src/process/procStat.js';

function unavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a pid namespace';
  const probe = spawnSync('unshare', ['--pid', '--fork', 'true']);
  if (probe.error || probe.status !== 0)
    return `unshare --pid --fork failed: ${String(probe.error ?? probe.stderr)}`;
  return undefined;
}

/** The processes of `pid`'s pid namespace but `pid`, as `comm(state)`. */
function othersInPidNamespaceOf(pid: number): string[] {
  const ns = readlinkSync(`/proc/${pid}/ns/pid`);
  const found: string[] = [];
  for (const entry of readdirSync('/proc').filter(name => /^\d+$/.test(name) && Number(name) !== pid)) {
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      found.push(
        `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}(${readProcStat(Number(entry))?.state})`,
      );
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describeIf(unavailableReason())('killing a forking tree in a pid namespace whose init never reaps', () => {
  let holder: ChildProcess;
  let init: number;

  beforeEach(async () => {
    // unshare forks `sleep`, which becomes the namespace's PID 1: it reaps nothing.
    holder = spawn('unshare', ['--pid', '--fork', 'sleep', '3631'], { stdio: 'ignore' });
    init = await eventually(
      () =>
        readdirSync('/proc')
          .map(Number)
          .find(pid => readProcStat(pid)?.ppid === holder.pid),
      { what: "the namespace's init to start", timeoutMs: 10_000 },
    );
  });

  afterEach(() => {
    // The init's death kills the whole namespace.
    if (init !== undefined) process.kill(init, 'SIGKILL');
    holder?.kill('SIGKILL');
  });

  const trees: [string, string][] = [
    ['a shell that re-forks sleep', 'while :; do sleep 0.1; done'],
    [
      'a shell whose child shell re-forks too',
      'sh -c "while :; do sleep 0.1; done" & while :; do sleep 0.1; done',
    ],
  ];
  // No grace: the kill a restarted daemon makes of what its predecessor left mid-call.
  for (const [name, script] of trees) {
    it(`leaves no zombie: ${name}, 10 times`, async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const marker = `tree-${attempt}-${Math.random()}`;
        // nsenter forks the shell into the namespace and waits for it, as the daemon's commands.
        const nsenter = spawn('nsenter', [`--target=${init}`, '--pid', '--', 'sh', '-c', script], {
          env: { ...process.env, CHAOSPLANE_TEST_TREE: marker },
          stdio: 'ignore',
        });
        await eventually(() => othersInPidNamespaceOf(init).some(p => p.startsWith('sleep')), {
          what: 'the loop to run',
        });
        const members = () => findProcessesByEnv('CHAOSPLANE_TEST_TREE', marker);
        // The hard limit's last second kills without waiting for reaps (a tree left running is
        // worse than a zombie); on a loaded machine 5 s can run out, so this test, about the
        // order of the kill, gives it room.
        await killProcessTree(members, { graceMs: 0, hardMs: 30_000 });
        expect(members()).toEqual([]);
        // nsenter reaps the shell; what it is reaped by is this process (its parent).
        await eventually(() => nsenter.exitCode !== null || nsenter.signalCode !== null, {
          what: 'nsenter to exit',
        });
        expect(othersInPidNamespaceOf(init)).toEqual([]);
      }
    }, 60_000);
  }
});
