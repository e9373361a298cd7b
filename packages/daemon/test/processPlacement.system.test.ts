// SPDX-License-Identifier: Apache-2.0
// Managed processes placed before their program runs: in a "container's" cgroups (real cgroups
// made for the test, v1 or v2 as the host has, holding a sleep as the container's process) with
// an oom_score_adj, in their own working directory. The command's first instruction already runs
// there, a failed placement runs nothing and leaves nothing, and an oom_score_adj the daemon may
// not lower is refused up front.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { parseCgroupMounts } from '../src/cgroup/parseCgroupFiles.js';
import { cgroupOfProcess, type ResolvedCgroup } from '../src/cgroup/resolveCgroup.js';
import { createJournal, type Journal } from '../src/journal/createJournal.js';
import { createProcessManager, type ProcessManager } from '../src/process/createProcessManager.js';
import { describeIf, eventually } from '@chaosplane/testing';
import { hostProcessesRunning } from './support/processes.js';

const NAME = `cp-placement-${process.pid}`;

/** The cgroup directories the test makes: in each v1 controller it accounts with, or one on v2. */
function testCgroupDirs(): string[] {
  const mounts = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const v1 = mounts.filter(
    m => m.version === 1 && ['memory', 'cpuacct', 'pids'].some(c => m.controllers.includes(c)),
  );
  if (v1.length > 0) return v1.map(m => path.join(m.mountPoint, NAME));
  const v2 = mounts.find(m => m.version === 2 && m.root === '/');
  return v2 ? [path.join(v2.mountPoint, NAME)] : [];
}

function unavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'it makes cgroups (run as root)';
  if (testCgroupDirs().length === 0) return 'no cgroup file system is mounted';
  return undefined;
}

/** CapEff of this process holds CAP_SYS_RESOURCE. */
const hasSysResource = () =>
  ((BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!}`) >> 24n) &
    1n) ===
  1n;

describeIf(unavailableReason())('placing a managed process before it runs (real cgroups)', () => {
  let stateDir: string;
  let journal: Journal;
  let manager: ProcessManager;
  let container: ChildProcess;
  let cgroup: ResolvedCgroup;
  const dirs = testCgroupDirs();

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-placement-'));
    journal = createJournal(stateDir);
    manager = createProcessManager({ journal, stateDir, killGraceMs: 500 });
    for (const dir of dirs) mkdirSync(dir, { recursive: true });
    // The "container": a sleep moved into the test's cgroups, as a runtime would have put it.
    container = spawn('sleep', ['3631'], { stdio: 'ignore' });
    await new Promise(resolve => container.once('spawn', resolve));
    for (const dir of dirs) writeFileSync(path.join(dir, 'cgroup.procs'), String(container.pid));
    cgroup = cgroupOfProcess(container.pid!);
  });

  afterAll(async () => {
    await manager?.close({ recover: true }).catch(() => undefined);
    container?.kill('SIGKILL');
    await eventually(() => dirs.every(dir => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8') === ''), {
      what: 'empty cgroups',
    });
    for (const dir of dirs) if (existsSync(dir)) rmdirSync(dir);
    journal?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('resolves the container’s cgroups to the test’s directories', () => {
    expect([...cgroup.dirs].sort()).toEqual(expect.arrayContaining([...dirs].sort()));
  });

  it('runs the command’s first instruction in the cgroups, with the oom_score_adj, in its own directory', async () => {
    const started = await manager.startManaged({
      identifier: 'placed',
      argv: [
        'sh',
        '-c',
        'cat /proc/self/cgroup; echo adj=$(cat /proc/self/oom_score_adj); echo cwd=$PWD; exec sleep 3632',
      ],
      placement: { cgroupDirs: cgroup.dirs, oomScoreAdj: 500 },
    });
    const pid = started.pid!;
    for (const dir of cgroup.dirs)
      expect(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
    expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe('500');
    const workDir = path.join(stateDir, 'work', started.uid);
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(workDir);
    await eventually(() => hostProcessesRunning(['sleep', '3632']).length > 0, { what: 'the sleep' });
    expect(await manager.cancel(started.uid)).toBe(true);
    const end = await started.exited;
    // cat ran in the container's cgroups: the placement came before any of the command.
    for (const line of readFileSync(`/proc/${container.pid}/cgroup`, 'utf8').trim().split('\n'))
      expect(end.output).toContain(line);
    expect(end.output).toContain('adj=500');
    expect(end.output).toContain(`cwd=${workDir}`);
    expect(existsSync(workDir)).toBe(false);
  });

  it('gives a process run as nobody a working directory it can write', async () => {
    const started = await manager.startManaged({
      identifier: 'nobody',
      pid: process.pid,
      namespaces: ['uts'],
      runAs: { uid: 65534, gid: 65534 },
      argv: ['sh', '-c', 'id -u; echo scratch > file && echo wrote; cat file'],
      placement: { cgroupDirs: cgroup.dirs },
    });
    const end = await started.exited;
    expect(end).toEqual({ exitCode: 0, signal: null, output: '65534\nwrote\nscratch\n' });
  });

  it('a placement that fails runs nothing of the command and leaves nothing behind', async () => {
    const missing = path.join(cgroup.dirs[0]!, 'no-such-cgroup');
    const failure = await manager
      .startManaged({
        identifier: 'unplaceable',
        argv: ['sleep', '3633'],
        placement: { cgroupDirs: [missing] },
      })
      .catch((error: unknown) => error);
    expect(ChaosplaneError.isKind(failure, 'command')).toBe(true);
    expect((failure as Error).message).toContain(`cannot join the cgroup of ${missing}/cgroup.procs`);
    expect(hostProcessesRunning(['sleep', '3633'])).toEqual([]);
    expect(manager.find('unplaceable')).toBeUndefined();
    expect(journal.active().filter(e => e.identifier === 'unplaceable')).toEqual([]);
    expect(readdirSync(path.join(stateDir, 'work'))).toEqual([]);
  });

  it('refuses an oom_score_adj below the daemon’s own without CAP_SYS_RESOURCE, before anything starts', async () => {
    const start = manager.startManaged({
      identifier: 'protected',
      argv: ['sleep', '3634'],
      placement: { cgroupDirs: cgroup.dirs, oomScoreAdj: -1000 },
    });
    if (hasSysResource()) {
      const started = await start;
      expect(readFileSync(`/proc/${started.pid}/oom_score_adj`, 'utf8').trim()).toBe('-1000');
      await manager.cancel(started.uid);
      return;
    }
    const failure = await start.catch((error: unknown) => error);
    expect(ChaosplaneError.isKind(failure, 'unsupported')).toBe(true);
    expect((failure as Error).message).toContain('lowering it needs CAP_SYS_RESOURCE');
    expect(hostProcessesRunning(['sleep', '3634'])).toEqual([]);
  });
});
