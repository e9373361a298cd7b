// SPDX-License-Identifier: Apache-2.0
// Killing a managed process signals its process group only while the group's leader is still
// ours: when the leader dies during the grace period and its PID is reused (forced here through
// /proc/sys/kernel/ns_last_pid) by another group's leader, that group must survive the SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { createJournal, type Journal } from '../src/journal/createJournal.js';
import { createProcessManager } from '../src/process/createProcessManager.js';
import { processStartTime } from '../src/process/procStat.js';
import { hostProcessesRunning } from './support/processes.js';

const NS_LAST_PID = '/proc/sys/kernel/ns_last_pid';

function canForcePids(): string | undefined {
  try {
    writeFileSync(NS_LAST_PID, readFileSync(NS_LAST_PID, 'utf8'));
    return undefined;
  } catch (error) {
    return `${NS_LAST_PID} is not writable (needs root in the pid namespace): ${String(error)}`;
  }
}

describeIf(canForcePids())('killing a process group', () => {
  let stateDir: string;
  let journal: Journal;
  const spawned: ChildProcess[] = [];
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-kill-group-'));
    journal = createJournal(stateDir);
  });
  afterEach(async () => {
    for (const child of spawned) child.kill('SIGKILL');
    for (const pid of hostProcessesRunning(['sleep', '3621'])) process.kill(pid, 'SIGKILL');
    journal.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('never signals a group whose leader PID was reused during the grace period', async () => {
    const manager = createProcessManager({ journal, stateDir, killGraceMs: 4000 });
    // The leader dies on SIGTERM; its child ignores SIGTERM and has left the group (setsid), so
    // the group is gone, its PID free for reuse, and the SIGKILL phase still comes.
    const managed = await manager.startManaged({
      identifier: 'group',
      argv: ['sh', '-c', `sh -c 'trap "" TERM; exec setsid sleep 3621' & wait`],
    });
    await eventually(() => hostProcessesRunning(['sleep', '3621']).length > 0, {
      what: 'the child to start',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    const leader = managed.pid!;
    const cancelling = manager.cancel(managed.uid);
    await eventually(() => !existsSync(`/proc/${leader}`), {
      what: 'the leader to die and be reaped',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    // Another program's group leader takes the leader's PID.
    let bystander: ChildProcess | undefined;
    for (let attempt = 0; attempt < 20 && bystander?.pid !== leader; attempt++) {
      bystander?.kill('SIGKILL');
      writeFileSync(NS_LAST_PID, String(leader - 1));
      bystander = spawn('sleep', ['3622'], { detached: true, stdio: 'ignore' });
      spawned.push(bystander);
      await new Promise(resolve => bystander!.once('spawn', resolve));
    }
    expect(bystander?.pid).toBe(leader);
    expect(await cancelling).toBe(true);
    expect(hostProcessesRunning(['sleep', '3621'])).toEqual([]);
    expect(processStartTime(leader)).toBeDefined();
    expect(bystander!.exitCode).toBeNull();
    expect(bystander!.signalCode).toBeNull();
    await manager.close();
  }, 30_000);
});
