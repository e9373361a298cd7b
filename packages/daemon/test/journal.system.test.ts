// SPDX-License-Identifier: Apache-2.0
// Journal replay without containers: durability of records, torn lines, and PID reuse.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { eventually } from '@chaosplane/testing';
import { createJournal, type JournalRecord } from '../src/journal/createJournal.js';
import { createProcessManager } from '../src/process/createProcessManager.js';
import { isSameProcess, processStartTime } from '../src/process/procStat.js';

describe('journal', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-journal-'));
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
      expect(report).toEqual({
        killed: [],
        adopted: [],
        recovered: [],
        unapplied: [],
        gone: ['old'],
        orphanedRuns: [],
        failed: [],
      });
      expect(isSameProcess(pid, processStartTime(pid)!)).toBe(true);
      expect(bystander.exitCode).toBeNull();
      expect(journal.active()).toEqual([]);
      await manager.close();
      journal.close();
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('handles every entry when one undo fails at start, keeps retrying it, and compacts', async () => {
    const marker = path.join(stateDir, 'marker');
    const change = (uid: string, undo: string[]): JournalRecord => ({
      op: 'begin',
      entry: {
        uid,
        identifier: uid,
        type: 'change',
        argv: [],
        namespaces: [],
        undo: { argv: undo, namespaces: [] },
        startedAtMs: 1,
        deadlineMs: 2,
        onRestart: 'adopt',
      },
    });
    const journal = createJournal(stateDir);
    // The first undo fails until the marker exists; the entries after it must still be handled.
    journal.append(change('failing', ['rm', marker]));
    journal.append({
      op: 'begin',
      entry: {
        uid: 'gone',
        identifier: 'gone',
        type: 'process',
        argv: ['sleep', '1'],
        namespaces: [],
        startedAtMs: 1,
        onRestart: 'kill',
      },
    });
    journal.append(change('working', ['true']));
    const manager = createProcessManager({ journal, stateDir });
    try {
      const report = await manager.recoverFromJournal();
      expect(report.failed).toEqual([
        { uid: 'failing', error: expect.stringMatching(/undo .*rm.* exited with 1/) },
      ]);
      expect(report.gone).toEqual(['gone']);
      expect(report.recovered).toEqual(['working']);
      expect(manager.list().map(e => e.uid)).toEqual(['failing']);
      // Compacted: only the failed entry is left on disk.
      const onDisk = readFileSync(journal.file, 'utf8').trim().split('\n');
      expect(onDisk.map(line => (JSON.parse(line) as { entry: { uid: string } }).entry.uid)).toEqual([
        'failing',
      ]);
      // Once the undo can succeed, the retry timer finishes it by itself.
      writeFileSync(marker, '');
      await eventually(() => manager.list().length === 0, {
        what: 'the retry timer to undo the change',
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      expect(manager.list()).toEqual([]);
      expect(existsSync(marker)).toBe(false);
      expect(journal.active()).toEqual([]);
    } finally {
      await manager.close();
      journal.close();
    }
  }, 30_000);

  it('cuts a torn last line on open, so the next record is not swallowed by it', () => {
    const base = { type: 'process' as const, argv: ['sleep', '1'], namespaces: [], startedAtMs: 1 };
    const journal = createJournal(stateDir);
    journal.append({ op: 'begin', entry: { ...base, uid: 'a', identifier: 'a', onRestart: 'kill' } });
    journal.close();
    appendFileSync(journal.file, '{"op":"begin","entry":{"uid":"torn"'); // a crash mid-write
    const reopened = createJournal(stateDir);
    reopened.append({ op: 'begin', entry: { ...base, uid: 'next', identifier: 'next', onRestart: 'kill' } });
    reopened.close();
    expect(
      createJournal(stateDir)
        .active()
        .map(e => e.uid),
    ).toEqual(['a', 'next']);
  });

  it('locks the state directory: a second journal on it fails while the first is open', () => {
    const first = createJournal(stateDir);
    const second = (() => {
      try {
        return createJournal(stateDir);
      } catch (error) {
        return error;
      }
    })();
    expect(ChaosplaneError.isKind(second, 'conflict')).toBe(true);
    expect((second as ChaosplaneError).field).toBe('stateDir');
    expect(String(second)).toMatch(new RegExp(`in use by another chaos daemon \\(pid ${process.pid}`));
    first.close();
    expect(existsSync(path.join(stateDir, 'daemon.lock'))).toBe(false);
    createJournal(stateDir).close();
  });

  it('refuses a lock held by a live process, and takes over one whose process is gone or reused', async () => {
    const lockFile = path.join(stateDir, 'daemon.lock');
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise(resolve => holder.once('spawn', resolve));
    const pid = holder.pid!;
    const startTime = processStartTime(pid)!;
    try {
      writeFileSync(lockFile, `${pid} ${startTime}\n`);
      expect(() => createJournal(stateDir)).toThrow(`in use by another chaos daemon (pid ${pid}`);
      // The same PID with another start time is another process: the lock is stale.
      writeFileSync(lockFile, `${pid} ${Number(startTime) - 100}\n`);
      const taken = createJournal(stateDir);
      expect(readFileSync(lockFile, 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}\n`);
      taken.close();
      writeFileSync(lockFile, `${pid} ${startTime}\n`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise(resolve => holder.once('exit', resolve));
    }
    // Its holder died: taken over.
    createJournal(stateDir).close();
  });

  it('frees the identifier of a change whose journal record could not be written', async () => {
    const journal = createJournal(stateDir);
    const manager = createProcessManager({ journal, stateDir });
    journal.close(); // every append now fails
    const inject = () =>
      manager.injectChange({ identifier: 'unwritten', apply: { argv: ['true'] }, undo: { argv: ['true'] } });
    await expect(inject()).rejects.toThrow(/journal .* is closed/);
    // Not "already in use": the failed call reserved nothing.
    await expect(inject()).rejects.toThrow(/journal .* is closed/);
    expect(manager.list()).toEqual([]);
    await manager.close();
  });
});
