// SPDX-License-Identifier: Apache-2.0
// Journal replay without containers: durability of records, torn lines, and PID reuse.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createJournal, createProcessManager, isSameProcess, processStartTime } from '@chaosplane/daemon';

describe('journal', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-journal-unit-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('replays begun-but-not-ended entries and ignores a torn last line', () => {
    const journal = createJournal(stateDir);
    const base = {
      type: 'process' as const,
      argv: ['sleep', '1'],
      namespaces: [],
      startedAtMs: 1,
      onRestart: 'kill' as const,
    };
    journal.append({ op: 'begin', entry: { ...base, uid: 'a', identifier: 'a' } });
    journal.append({ op: 'begin', entry: { ...base, uid: 'b', identifier: 'b' } });
    journal.append({ op: 'spawned', uid: 'b', pid: 42, startTime: '7' });
    journal.append({ op: 'end', uid: 'a', reason: 'exited' });
    journal.close();
    appendFileSync(journal.file, '{"op":"begin","entry":{"uid":"c"'); // a crash mid-write
    const replayed = createJournal(stateDir);
    expect(replayed.active()).toEqual([expect.objectContaining({ uid: 'b', pid: 42, startTime: '7' })]);
    replayed.compact();
    replayed.close();
    expect(
      createJournal(stateDir)
        .active()
        .map(e => e.uid),
    ).toEqual(['b']);
  });

  it('never kills a process that reused a recorded PID (start time differs)', async () => {
    // A live process that is not ours: same PID as the journal says, another start time.
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise(resolve => bystander.once('spawn', resolve));
    try {
      const pid = bystander.pid!;
      const journal = createJournal(stateDir);
      journal.append({
        op: 'begin',
        entry: {
          uid: 'old',
          identifier: 'old',
          type: 'process',
          argv: ['sleep', '30'],
          namespaces: [],
          startedAtMs: 1,
          onRestart: 'kill',
        },
      });
      journal.append({
        op: 'spawned',
        uid: 'old',
        pid,
        startTime: String(Number(processStartTime(pid)) - 100),
      });
      const manager = createProcessManager({ journal, stateDir, killGraceMs: 100 });
      const report = await manager.recoverFromJournal();
      expect(report).toEqual({ killed: [], adopted: [], recovered: [], gone: ['old'], orphanedRuns: [] });
      expect(isSameProcess(pid, processStartTime(pid)!)).toBe(true);
      expect(bystander.exitCode).toBeNull();
      expect(journal.active()).toEqual([]);
      await manager.close();
      journal.close();
    } finally {
      bystander.kill('SIGKILL');
    }
  });
});
