// SPDX-License-Identifier: Apache-2.0
// A daemon SIGKILLed while a change's apply command still runs: the change may be half made, so
// the next daemon must undo it (never adopt it as applied), kill what the apply left running
// without leaving zombies in the target's pid namespace (the apply is a shell loop that forks a
// new `sleep` as soon as the last one is reaped), and let the apply be retried. Real
// containerd, a real network namespace, the compiled daemon in a child process.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { describeIf, eventually } from '@chaosplane/testing';
import { startDaemon, type RunningDaemon } from '../src/server/startDaemon.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ADDRESS = '192.0.2.40/32';

/** The processes of `pid`'s pid namespace, with their state (Z is a zombie). */
function processesInPidNamespaceOf(
  pid: number,
): { pid: number; state: string; ppid: number; comm: string }[] {
  const ns = readlinkSync(`/proc/${pid}/ns/pid`);
  const found: { pid: number; state: string; ppid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state = '?', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({ pid: Number(entry), state, ppid: Number(ppid), comm });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** What runs in `pid`'s pid namespace but `pid` itself, as `comm pid state ppid` (Z: a zombie). */
function othersInPidNamespaceOf(pid: number): string[] {
  return processesInPidNamespaceOf(pid)
    .filter(p => p.pid !== pid)
    .map(p => `${p.comm} ${p.pid} ${p.state} ${p.ppid}`);
}

describeIf(containerdUnavailableReason())('a daemon killed while an apply runs', () => {
  let containerd: ContainerdEnvironment;
  let container: TestContainer;
  let stateDir: string;
  let daemon: RunningDaemon | undefined;
  const addresses = async () =>
    (
      await daemon!.processManager.run({
        pid: container.pid,
        namespaces: ['net'],
        argv: ['ip', '-o', 'addr', 'show', 'dev', 'lo'],
      })
    ).stdout;

  beforeAll(async () => {
    containerd = await startContainerd();
    container = await containerd.createContainer();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-apply-crash-'));
  }, 60_000);

  afterAll(async () => {
    await daemon?.close();
    await containerd?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  /** Runs `fixture` (a daemon that starts an apply and reports it), then SIGKILLs it mid-apply. */
  async function crashDuringApply(
    fixture: string,
    args: string[],
  ): Promise<{ uid: string; identifier: string }> {
    const child = spawn(process.execPath, [path.join(here, 'fixtures', fixture), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', code => reject(new Error(`child daemon exited early (${code})`)));
    });
    // The apply is mid-way: its shell still runs in the target's pid namespace.
    expect(processesInPidNamespaceOf(container.pid).map(p => p.comm)).toContain('sh');
    child.kill('SIGKILL');
    await new Promise(resolve => child.once('exit', resolve));
    return JSON.parse(line) as { uid: string; identifier: string };
  }

  const restartOn = (dir: string) =>
    startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: 'insecure',
      stateDir: dir,
      runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
    });

  it('undoes the half-made change at restart, leaves no zombie, and a retried apply succeeds', async () => {
    const gate = path.join(stateDir, 'gate');
    writeFileSync(gate, '');
    // The apply has added the address and waits in the target's pid namespace.
    const { uid, identifier } = await crashDuringApply('applyCrashDaemon.mjs', [
      stateDir,
      containerd.socketPath,
      containerd.namespace,
      String(container.pid),
      gate,
      ADDRESS,
    ]);
    daemon = await restartOn(stateDir);
    expect(daemon.recovery).toMatchObject({ unapplied: [uid], adopted: [], recovered: [], failed: [] });
    expect(daemon.recovery.orphanedRuns.length).toBeGreaterThan(0);
    expect(await addresses()).not.toContain(ADDRESS);
    expect(daemon.processManager.find(identifier)).toBeUndefined();
    expect(daemon.journal.active()).toEqual([]);
    // What the apply left running is gone and reaped by its own parents, now: recovery returns
    // once the apply's tree is gone, and a zombie handed to the container's init (which never
    // reaps) would stay for good, so there is nothing to wait for.
    expect(othersInPidNamespaceOf(container.pid)).toEqual([]);

    // The controller's call failed with the crash; its retry applies the change afresh.
    rmSync(gate);
    const retried = await daemon.processManager.injectChange({
      identifier,
      pid: container.pid,
      namespaces: ['net', 'pid'],
      apply: {
        argv: ['sh', '-c', `ip addr add ${ADDRESS} dev lo && while [ -e "$0" ]; do sleep 0.1; done`, gate],
      },
      undo: { argv: ['ip', 'addr', 'del', ADDRESS, 'dev', 'lo'] },
    });
    expect(await addresses()).toContain(ADDRESS);
    expect(daemon.journal.active().find(e => e.uid === retried.uid)?.applied).toBe(true);
    expect(await daemon.processManager.cancel(retried.uid)).toBe(true);
    expect(await addresses()).not.toContain(ADDRESS);
    // Cancelling kills the retried apply's shell loop the same way: nothing left there either.
    expect(othersInPidNamespaceOf(container.pid)).toEqual([]);
  }, 60_000);
  it("an apply exec'd in the container (as its own user) is killed before its undo runs", async () => {
    await daemon?.close();
    daemon = undefined;
    const dir = path.join(stateDir, 'exec');
    const gate = path.join(container.rootfs, 'gate');
    writeFileSync(gate, '');
    const { uid, identifier } = await crashDuringApply('execApplyCrashDaemon.mjs', [
      dir,
      containerd.socketPath,
      containerd.namespace,
      container.id,
      container.rootfs,
    ]);
    daemon = await restartOn(dir);
    expect(daemon.recovery).toMatchObject({ unapplied: [uid], adopted: [], recovered: [], failed: [] });
    // The exec'd shell carried the daemon's run-owner marker: it was found and killed first, so
    // it cannot write /marker again after the undo removed it.
    expect(daemon.recovery.orphanedRuns.length).toBeGreaterThan(0);
    expect(existsSync(path.join(container.rootfs, 'marker'))).toBe(false);
    expect(daemon.processManager.find(identifier)).toBeUndefined();
    // A surviving apply would write it again within 0.1 s: it stays away.
    await new Promise(resolve => setTimeout(resolve, 500));
    expect(existsSync(path.join(container.rootfs, 'marker'))).toBe(false);
    // containerd's shim, the exec's parent, reaps it: nothing but the container's init is left.
    await eventually(() => othersInPidNamespaceOf(container.pid).length === 0, {
      what: 'the killed exec reaped',
      describe: () => othersInPidNamespaceOf(container.pid).join(', '),
      timeoutMs: 5_000,
    });
    rmSync(gate);
  }, 60_000);
});
