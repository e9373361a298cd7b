// SPDX-License-Identifier: Apache-2.0
// A daemon in a cgroup namespace of its own, as Kubernetes runs every container on cgroup v2
// nodes: the paths of /proc/PID/cgroup it reads are relative to its namespace (`/../…`), and the
// kernel refuses to move a process into a cgroup outside it (cgroup v2 mounted with nsdelegate,
// as systemd mounts it). The
// fixture runs under `unshare --cgroup` from a cgroup of its own; this test's process stands for
// the node's PID 1. It must reach the target's cgroups, and place a process in them, only through
// the node's namespace. Real cgroups (every v1 controller it accounts with, and the unified one).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { parseCgroupMounts } from '../src/cgroup/parseCgroupFiles.js';
import { placementArgv } from '../src/process/processPlacement.js';
import { hostProcessesRunning } from './support/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The placed sleeps' argument: unique to this run, so cleaning up never hits another's sleep. */
const MARKER = `3700.${process.pid}`;

/** A directory named `name` in each hierarchy the daemon accounts with: v1's, and the unified one. */
function cgroupDirs(name: string): { dir: string; version: 1 | 2 }[] {
  const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  return mounts
    .filter(
      m =>
        (m.version === 2 && m.root === '/') ||
        (m.version === 1 && ['memory', 'cpuacct', 'pids'].some(c => m.controllers.includes(c))),
    )
    .map(m => ({ dir: path.join(m.mountPoint, name), version: m.version }));
}

function unavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'it makes cgroups and namespaces (run as root)';
  if (cgroupDirs('x').length === 0) return 'no cgroup file system is mounted';
  if (!existsSync('/proc/self/ns/cgroup')) return 'the kernel has no cgroup namespaces';
  return undefined;
}

/** The lines of /proc/PID/cgroup for the hierarchies the test made directories in. */
const accounted = (pid: number) =>
  readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .trim()
    .split('\n')
    .filter(line => /^0::|[:,](memory|cpuacct|pids)[:,]/.test(line));

describeIf(unavailableReason())('a daemon in a cgroup namespace of its own (real cgroups)', () => {
  const targetCgroups = cgroupDirs(`cp-target-${process.pid}`);
  const target = targetCgroups.map(c => c.dir);
  const daemon = cgroupDirs(`cp-daemon-${process.pid}`).map(c => c.dir);
  let targetPid: number;

  beforeAll(async () => {
    for (const dir of [...target, ...daemon]) mkdirSync(dir, { recursive: true });
    const sleeper = spawn('sleep', ['3699'], { stdio: 'ignore', detached: true });
    await new Promise(resolve => sleeper.once('spawn', resolve));
    sleeper.unref();
    targetPid = sleeper.pid!;
    for (const dir of target) writeFileSync(path.join(dir, 'cgroup.procs'), String(targetPid));
  });

  afterAll(async () => {
    for (const pid of [targetPid, ...hostProcessesRunning(['sleep', MARKER])]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    const empty = (dir: string) =>
      !existsSync(dir) || readFileSync(path.join(dir, 'cgroup.procs'), 'utf8') === '';
    await eventually(() => [...target, ...daemon].every(empty), { what: 'empty test cgroups' });
    for (const dir of [...target, ...daemon]) if (existsSync(dir)) rmdirSync(dir);
  });

  it("reads and joins the target's cgroups from the node's namespace; its own sees them out of reach", async () => {
    // The "daemon": moved into cgroups of its own, then into a cgroup namespace rooted there.
    const [program, ...args] = placementArgv({ cgroupDirs: daemon }, [
      'unshare',
      '--cgroup',
      process.execPath,
      path.join(here, 'fixtures/ownCgroupNamespace.mjs'),
      String(targetPid),
      String(process.pid),
      MARKER,
    ]);
    const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', code => reject(new Error(`the fixture exited early (${code})`)));
    });
    const seen = JSON.parse(line) as {
      ownError?: string;
      namespace?: string;
      dirs: string[];
      withoutNamespace: { pid?: number; error?: string };
      withNamespace: { pid?: number; error?: string };
    };
    // From its own namespace the target's cgroups are out of reach, and it says how to fix it.
    expect(seen.ownError).toContain("the daemon cannot reach the target's");
    expect(seen.namespace).toBe(`/proc/${process.pid}/ns/cgroup`);
    // Through the node's, they are the directories the test made.
    expect([...seen.dirs].sort()).toEqual(expect.arrayContaining([...target].sort()));
    // Placed through the node's namespace, the process is accounted exactly where the target is.
    expect(seen.withNamespace.error).toBeUndefined();
    expect(accounted(seen.withNamespace.pid!)).toEqual(accounted(targetPid));
    // Without entering it, a unified hierarchy mounted with nsdelegate (as systemd mounts it on
    // v2 nodes) refuses the move; v1 hierarchies, and a unified one without it (this project's
    // hybrid machines), do not check namespaces, so there it goes through either way.
    const delegating = /- cgroup2 \S+ \S*\bnsdelegate\b/.test(readFileSync('/proc/self/mountinfo', 'utf8'));
    if (delegating && targetCgroups.some(c => c.version === 2))
      expect(seen.withoutNamespace.error).toMatch(/chaosplane: cannot join the cgroup of/);
  }, 30_000);
});
