// SPDX-License-Identifier: Apache-2.0
// A change outlives the process it was entered through: the pod's sandbox keeps the network
// namespace when an app container restarts. Real namespaces (unshare, nsenter, ip): the undo must
// run through another process that still holds them, count as done only when none does, and an
// apply that failed with a failing undo must stay journaled until the undo succeeds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createLogger } from '@chaosplane/service';
import { createJournal, type Journal } from '../src/journal/createJournal.js';
import { createProcessManager, type ProcessManager } from '../src/process/createProcessManager.js';
import { runCommand } from '../src/process/runCommand.js';

function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  const probe = spawnSync('unshare', ['--net', 'ip', 'addr', 'add', '192.0.2.1/32', 'dev', 'lo']);
  if (probe.error || probe.status !== 0) {
    return `unshare --net with ip addr add failed: ${String(probe.error ?? probe.stderr)}`;
  }
  return undefined;
}

const netOf = (pid: number): string => readlinkSync(`/proc/${pid}/ns/net`);

describeIf(namespacesUnavailable())('undoing a change whose target process is gone', () => {
  let stateDir: string;
  let journal: Journal;
  let manager: ProcessManager;
  let logLines: Record<string, unknown>[];
  const holders: ChildProcess[] = [];

  const open = (): void => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
    });
    journal = createJournal(stateDir);
    manager = createProcessManager({
      journal,
      stateDir,
      logger: createLogger({ format: 'json', level: 'debug', stream }),
    });
  };
  const restart = async (): Promise<void> => {
    await manager.close();
    journal.close();
    open();
  };

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-undo-ns-'));
    logLines = [];
    open();
  });
  afterEach(async () => {
    await manager.close();
    journal.close();
    for (const holder of holders.splice(0)) holder.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A process in a new network namespace (`unshare --net`, which execs sleep). */
  async function startNamespaceHolder(): Promise<ChildProcess> {
    const holder = spawn('unshare', ['--net', 'sleep', '3700'], { stdio: 'ignore' });
    holders.push(holder);
    // netOf throws until the process exists: eventually tries again.
    await eventually(() => netOf(holder.pid!) !== netOf(process.pid), {
      what: 'unshare to enter its own network namespace',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    return holder;
  }

  /** A second process entered into `pid`'s network namespace (the pod sandbox's role). */
  async function startSecondHolder(pid: number): Promise<ChildProcess> {
    const holder = spawn('nsenter', [`--target=${pid}`, '--net', 'sleep', '3701'], { stdio: 'ignore' });
    holders.push(holder);
    const wanted = netOf(pid);
    await eventually(() => netOf(holder.pid!) === wanted, {
      what: 'nsenter to join the network namespace',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    return holder;
  }

  async function killAndReap(holder: ChildProcess): Promise<void> {
    const exited = new Promise(resolve => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
  }

  /** The addresses on the loopback of `pid`'s network namespace (`ip -o addr`, run via nsenter). */
  async function addressesIn(pid: number): Promise<string> {
    const result = await runCommand(
      ['nsenter', `--target=${pid}`, '--net', 'ip', '-o', 'addr', 'show', 'dev', 'lo'],
      {
        env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    expect(result.exitCode).toBe(0);
    return result.stdout;
  }

  // The change: an address on the namespace's loopback (needs no kernel module, unlike a dummy link).
  const addAddress = (pid: number, address: string, deadlineMs?: number) =>
    manager.injectChange({
      identifier: `address-${address}`,
      pid,
      namespaces: ['net'],
      apply: { argv: ['ip', 'addr', 'add', `${address}/32`, 'dev', 'lo'] },
      undo: { argv: ['ip', 'addr', 'del', `${address}/32`, 'dev', 'lo'] },
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    });

  it('journals the identity of each namespace entered', async () => {
    const holder = await startNamespaceHolder();
    await addAddress(holder.pid!, '192.0.2.10');
    expect(journal.active()[0]!.undo!.namespaceIds).toEqual({ net: netOf(holder.pid!) });
  });

  it('cancel undoes through another holder of the namespace once the target is gone', async () => {
    const target = await startNamespaceHolder();
    const sandbox = await startSecondHolder(target.pid!);
    const change = await addAddress(target.pid!, '192.0.2.11');
    expect(await addressesIn(sandbox.pid!)).toContain('192.0.2.11/32');

    await killAndReap(target);
    expect(await manager.cancel(change.uid)).toBe(true);

    expect(await addressesIn(sandbox.pid!)).not.toContain('192.0.2.11/32');
    expect(journal.active()).toEqual([]);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('through another process'),
        throughPid: sandbox.pid,
      }),
    );
  });

  it('a restarted daemon undoes an expired change through another holder', async () => {
    const target = await startNamespaceHolder();
    const sandbox = await startSecondHolder(target.pid!);
    const deadlineMs = Date.now() + 60_000;
    const change = await addAddress(target.pid!, '192.0.2.12', deadlineMs);
    await killAndReap(target);
    // The daemon crashes (nothing recovered); the next one starts after the deadline.
    await manager.close();
    journal.close();
    const entry = createJournal(stateDir);
    entry.append({ op: 'deadline', uid: change.uid, deadlineMs: Date.now() - 1 });
    entry.close();
    open();

    const report = await manager.recoverFromJournal();
    expect(report.recovered).toEqual([change.uid]);
    expect(report.failed).toEqual([]);
    expect(await addressesIn(sandbox.pid!)).not.toContain('192.0.2.12/32');
    expect(journal.active()).toEqual([]);
  });

  it('counts the change as undone, and says so, when no process holds its namespaces', async () => {
    const target = await startNamespaceHolder();
    const sandbox = await startSecondHolder(target.pid!);
    const change = await addAddress(target.pid!, '192.0.2.13');
    await killAndReap(target);
    await killAndReap(sandbox);

    expect(await manager.recoverAll()).toEqual([change.uid]);
    expect(manager.list()).toEqual([]);
    expect(journal.active()).toEqual([]);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('nothing left to undo'),
        uid: change.uid,
        namespaces: { net: expect.stringMatching(/^net:\[\d+\]$/) },
      }),
    );
  });

  it('keeps the old behaviour for entries journaled without namespace identities', async () => {
    const target = await startNamespaceHolder();
    const sandbox = await startSecondHolder(target.pid!);
    const change = await addAddress(target.pid!, '192.0.2.14');
    // Rewrite the entry as an older daemon journaled it.
    const written = journal.active()[0]!;
    const oldUndo = { ...written.undo! };
    delete oldUndo.namespaceIds;
    await manager.close();
    journal.close();
    const rewrite = createJournal(stateDir);
    rewrite.append({ op: 'end', uid: change.uid, reason: 'test-rewrite' });
    rewrite.append({ op: 'begin', entry: { ...written, undo: oldUndo, deadlineMs: 1 } });
    rewrite.close();
    await killAndReap(target);
    open();

    const report = await manager.recoverFromJournal();
    expect(report.recovered).toEqual([change.uid]);
    // Skipped, as before: an old entry names no namespace to look for.
    expect(await addressesIn(sandbox.pid!)).toContain('192.0.2.14/32');
  });

  describe('an apply that fails after changing something, with an undo that fails once', () => {
    const halfApply = (pid: number, gate: string) =>
      manager.injectChange({
        identifier: 'half',
        pid,
        namespaces: ['net'],
        apply: { argv: ['sh', '-c', 'ip addr add 192.0.2.20/32 dev lo && exit 1'] },
        // Fails until the gate file exists (the path is an argument, not part of the script).
        undo: { argv: ['sh', '-c', 'test -e "$1" && ip addr del 192.0.2.20/32 dev lo', 'undo', gate] },
      });

    async function failHalfway(): Promise<{ pid: number; gate: string; uid: string }> {
      const holder = await startNamespaceHolder();
      const gate = path.join(stateDir, 'undo-may-succeed');
      const failure = await halfApply(holder.pid!, gate).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(ChaosplaneError.isKind(failure, 'command')).toBe(true);
      expect(String(failure)).toMatch(/apply .* exited with 1.*undoing what it may have changed failed too/);
      expect(await addressesIn(holder.pid!)).toContain('192.0.2.20/32');
      const [kept] = journal.active();
      expect(kept).toEqual(expect.objectContaining({ identifier: 'half', type: 'change' }));
      expect(kept!.deadlineMs).toBeLessThanOrEqual(Date.now());
      expect(manager.list().map(t => t.uid)).toEqual([kept!.uid]);
      // The identifier stays taken: a retried apply cannot start a second live entry with it.
      await expect(halfApply(holder.pid!, gate)).rejects.toThrow(/already in use by/);
      return { pid: holder.pid!, gate, uid: kept!.uid };
    }

    it('stays journaled and tracked; recoverAll undoes it once the undo can succeed', async () => {
      const { pid, gate, uid } = await failHalfway();
      writeFileSync(gate, '');
      expect(await manager.recoverAll()).toEqual([uid]);
      expect(await addressesIn(pid)).not.toContain('192.0.2.20/32');
      expect(journal.active()).toEqual([]);
      expect(manager.list()).toEqual([]);
    });

    it('a restarted daemon on the same state dir undoes it at start', async () => {
      const { pid, gate, uid } = await failHalfway();
      await restart();
      writeFileSync(gate, '');
      const report = await manager.recoverFromJournal();
      expect(report.unapplied).toEqual([uid]);
      expect(await addressesIn(pid)).not.toContain('192.0.2.20/32');
      expect(journal.active()).toEqual([]);
    });

    it('retries by itself until the undo succeeds', async () => {
      const { pid, gate } = await failHalfway();
      writeFileSync(gate, '');
      await eventually(() => manager.list().length === 0, {
        what: 'the retry timer to undo the change',
        intervalMs: 100,
        timeoutMs: 20_000,
      });
      expect(await addressesIn(pid)).not.toContain('192.0.2.20/32');
      expect(journal.active()).toEqual([]);
    }, 30_000);
  });
});
