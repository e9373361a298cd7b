// SPDX-License-Identifier: Apache-2.0
// Shared states on real network namespaces (a `sleep` in its own netns stands for a pod): the
// renderer under test keeps one loopback address per contribution, so `ip addr` in the namespace
// shows exactly which contributions are rendered. Composition, idempotence, replacement, refusal, a
// failed render, the deadline, a restart that drops unapplied contributions, and a namespace that
// vanished.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { describeIf, eventually } from '@chaosplane/testing';
import { createJournal, type Journal } from '../src/journal/createJournal.js';
import {
  createProcessManager,
  type ProcessManager,
  type StateRenderer,
} from '../src/process/createProcessManager.js';
import { processStartTime } from '../src/process/procStat.js';
import { readNamespaceIds } from '../src/process/namespaceIdentity.js';

const run = promisify(execFile);

const unavailable =
  process.getuid?.() !== 0 ? 'shared state tests enter network namespaces: they need root' : undefined;

/** A stable loopback address per contribution key (`127.77.x.y`). */
const addressOf = (key: string) => {
  const [x, y] = createHash('sha256').update(key).digest();
  return `127.77.${x! % 250}.${(y! % 250) + 1}`;
};
const ADDRESSES = /inet (127\.77\.\d+\.\d+)\//g;

/** A renderer that holds one loopback address per contribution (value `refuse` is a conflict, `fail` a failed command). */
function loopbackAddresses(renders: string[][]): StateRenderer {
  return {
    name: 'test/addresses',
    namespaces: ['net'],
    async render(contributions, runIn) {
      if (contributions.some(c => c.value === 'refuse'))
        throw new ChaosplaneError('conflict', `cannot compose with ${contributions[0]!.chaos?.name}`);
      renders.push(contributions.map(c => String(c.value)));
      const wanted = new Set(contributions.map(c => addressOf(c.key)));
      const { stdout } = await runIn(['ip', '-o', 'addr', 'show', 'dev', 'lo']);
      const present = [...stdout.matchAll(ADDRESSES)].map(m => m[1]!);
      for (const ip of present)
        if (!wanted.has(ip)) await runIn(['ip', 'addr', 'del', `${ip}/32`, 'dev', 'lo']);
      for (const ip of wanted)
        if (!present.includes(ip)) await runIn(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'lo']);
      if (contributions.some(c => c.value === 'fail')) await runIn(['false']);
    },
  };
}

describeIf(unavailable)('shared states on real network namespaces', () => {
  let stateDir: string;
  let journal: Journal;
  let manager: ProcessManager;
  let target: ChildProcess;
  let renders: string[][];
  const addresses = async (pid = target.pid!) =>
    [
      ...(
        await run('nsenter', ['-t', String(pid), '-n', 'ip', '-o', 'addr', 'show', 'dev', 'lo'])
      ).stdout.matchAll(ADDRESSES),
    ]
      .map(m => m[1]!)
      .sort();
  const contribute = (
    identifier: string,
    value: string,
    extra: { durationMs?: number; name?: string } = {},
  ) =>
    manager.contribute({
      identifier,
      resource: 'test/addresses',
      pid: target.pid!,
      value,
      chaos: { namespace: 'ns', name: extra.name ?? identifier },
      ...(extra.durationMs !== undefined ? { durationMs: extra.durationMs } : {}),
    });
  const startTarget = async () => {
    const child = spawn('unshare', ['--net', 'sleep', '300'], { stdio: 'ignore' });
    // Until unshare has exec'd sleep, the child is still in the host's namespace.
    const hostNet = readNamespaceIds(process.pid, ['net'])!.net;
    await eventually(
      () =>
        readNamespaceIds(child.pid!, ['net'])?.net !== hostNet && processStartTime(child.pid!) !== undefined,
      {
        what: 'the target is in its own network namespace',
      },
    );
    return child;
  };
  const newManager = () => {
    journal = createJournal(stateDir);
    manager = createProcessManager({ journal, stateDir });
    renders = [];
    manager.registerState(loopbackAddresses(renders));
  };

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-shared-'));
    target = await startTarget();
    newManager();
    await manager.recoverFromJournal();
  });

  afterEach(async () => {
    await manager.close({ recover: true }).catch(() => undefined);
    journal.close();
    target.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  afterAll(() => undefined);

  it('composes contributions, finds one in place, replaces a changed one, and withdraws one leaving the other', async () => {
    expect(await contribute('a', 'one')).toEqual({ applied: true });
    expect(await contribute('b', 'two')).toEqual({ applied: true });
    expect(await addresses()).toEqual([addressOf('a'), addressOf('b')].sort());
    expect(renders.at(-1)).toEqual(['one', 'two']);

    const before = renders.length;
    expect(await contribute('a', 'one')).toEqual({ applied: false });
    expect(renders).toHaveLength(before); // found in place: nothing rendered

    expect(await contribute('a', 'uno')).toEqual({ applied: true });
    expect(renders.at(-1)).toEqual(['two', 'uno']);

    expect(await manager.cancel(manager.find('b')!.uid)).toBe(true);
    expect(await addresses()).toEqual([addressOf('a')]);
    expect(manager.list().map(e => [e.identifier, e.type, e.applied])).toEqual([['a', 'contribution', true]]);
    expect(await manager.cancel(manager.find('a')!.uid)).toBe(true);
    expect(await addresses()).toEqual([]);
  });

  it('a refused contribution changes nothing and frees its name; a failed render is rendered back without it', async () => {
    await contribute('a', 'one');
    await expect(contribute('b', 'refuse', { name: 'other' })).rejects.toMatchObject({
      kind: 'conflict',
      message: 'cannot compose with a',
    });
    expect(await addresses()).toEqual([addressOf('a')]);
    expect(manager.find('b')).toBeUndefined();

    await expect(contribute('c', 'fail')).rejects.toMatchObject({ kind: 'command' });
    expect(await addresses()).toEqual([addressOf('a')]);
    expect(manager.find('c')).toBeUndefined();
    expect(await contribute('c', 'three')).toEqual({ applied: true });
    expect(await addresses()).toEqual([addressOf('a'), addressOf('c')].sort());
  });

  it('withdraws a contribution at its deadline, by itself', async () => {
    await contribute('a', 'one');
    await contribute('b', 'two', { durationMs: 300 });
    expect(await addresses()).toHaveLength(2);
    await eventually(async () => (await addresses()).length === 1, { what: 'b withdrawn at its deadline' });
    expect(await addresses()).toEqual([addressOf('a')]);
    expect(manager.find('b')).toBeUndefined();
  });

  it('after a crash, drops what was never applied, keeps what was, and renders the scope again', async () => {
    await contribute('a', 'one');
    // A crash in the middle of adding b: its begin is journaled, its render never finished (b's
    // address added, the applied mark missing).
    const a = manager.find('a')!;
    journal.append({
      op: 'begin',
      entry: {
        uid: 'crashed-b',
        type: 'contribution',
        identifier: 'b',
        argv: [],
        targetPid: target.pid!,
        namespaces: ['net'],
        startedAtMs: Date.now(),
        onRestart: 'adopt',
        applied: false,
        contribution: {
          ...journal.active().find(e => e.uid === a.uid)!.contribution!,
          value: 'two',
        },
      },
    });
    await run('nsenter', [
      '-t',
      String(target.pid),
      '-n',
      'ip',
      'addr',
      'add',
      `${addressOf('b')}/32`,
      'dev',
      'lo',
    ]);
    await manager.close(); // no recovery: the journal keeps everything, as after a SIGKILL
    journal.close();

    newManager();
    const report = await manager.recoverFromJournal();
    expect(report.adopted).toEqual([a.uid]);
    expect(report.recovered).toEqual(['crashed-b']);
    await eventually(async () => (await addresses()).length === 1 && manager.find('b') === undefined, {
      what: 'b withdrawn after the restart',
    });
    expect(await addresses()).toEqual([addressOf('a')]);
    expect(manager.find('a')?.state).toBe('adopted');
  });

  it('after a restart, contributions whose namespace is gone are forgotten', async () => {
    await contribute('a', 'one');
    await manager.close();
    journal.close();
    target.kill('SIGKILL');
    await new Promise(resolve => target.once('exit', resolve));

    newManager();
    const report = await manager.recoverFromJournal();
    expect(report.gone).toHaveLength(1);
    expect(report.adopted).toEqual([]);
    expect(manager.list()).toEqual([]);
    expect(journal.active()).toEqual([]);
  });
});
