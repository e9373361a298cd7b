// SPDX-License-Identifier: Apache-2.0
// Real containerd + runc, started privately by @chaosplane/dev/harness. The daemon's client
// reads PIDs through containerd's gRPC API; the harness cross-checks them with `ctr task ls`.
import { readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createContainerdClient } from '../src/runtime/createContainerdClient.js';
import { createJournal, type Journal } from '../src/journal/createJournal.js';
import { createProcessManager, type ProcessManager } from '../src/process/createProcessManager.js';
import { createRuntimeResolver } from '../src/runtime/createRuntimeResolver.js';
import { type ContainerRuntimeClient } from '../src/runtime/ContainerRuntime.js';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';

describeIf(containerdUnavailableReason())('against a real containerd', () => {
  let containerd: ContainerdEnvironment;
  let client: ContainerRuntimeClient;
  let running: TestContainer;
  let stopped: TestContainer;
  let stateDir: string;
  let manager: ProcessManager;
  let journal: Journal;

  beforeAll(async () => {
    containerd = await startContainerd();
    client = createContainerdClient({ socketPath: containerd.socketPath, namespace: containerd.namespace });
    running = await containerd.createContainer();
    stopped = await containerd.createContainer();
    await containerd.stopContainer(stopped.bareId);
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-pm-'));
    journal = createJournal(stateDir);
    manager = createProcessManager({ journal, stateDir });
  }, 60_000);

  afterAll(async () => {
    await manager?.close({ recover: true });
    client?.close();
    await containerd?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('reads the PID of a running container through the gRPC API', async () => {
    const resolver = createRuntimeResolver([client]);
    const { pid, runtime } = await resolver.pidOf(running.id);
    expect(runtime).toBe('containerd');
    expect(pid).toBe(running.pid);
  });

  it('says a stopped container is not running', async () => {
    const failure = await client.pidOf(stopped.bareId).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
    expect((failure as Error).message).toMatch(/is not running \(task status STOPPED/);
  });

  it('says an unknown container is not found, naming the namespace', async () => {
    const failure = await client.pidOf('no-such-container').catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
    expect((failure as Error).message).toContain(
      `container containerd://no-such-container not found in containerd namespace ${containerd.namespace}`,
    );
  });

  it('lists containers with their running state', async () => {
    const listed = await client.list();
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: running.id, running: true, pid: running.pid }),
        expect.objectContaining({ id: stopped.id, running: false }),
      ]),
    );
  });

  it("runs ps in the container's mount namespace and sees the container's own processes", async () => {
    const result = await manager.run({ pid: running.pid, namespaces: ['mnt', 'pid'], argv: ['ps', 'aux'] });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('sleep 3600');
    // The container's ps is busybox: its root is the container's, not the host's.
    const ls = await manager.run({ pid: running.pid, namespaces: ['mnt', 'pid'], argv: ['ls', '/bin'] });
    expect(ls.stdout.split('\n')).toContain('busybox');
    expect(ls.stdout.split('\n')).not.toContain('bash');
  });

  it("enters every namespace of the target: mnt, pid, net, ipc and uts are the container's", async () => {
    const namespaces = ['mnt', 'pid', 'net', 'ipc', 'uts'] as const;
    for (const ns of namespaces) {
      const inside = await manager.run({
        pid: running.pid,
        namespaces: [...namespaces],
        argv: ['readlink', `/proc/self/ns/${ns}`],
      });
      expect(inside.stdout.trim()).toBe(readlinkSync(`/proc/${running.pid}/ns/${ns}`));
      expect(inside.stdout.trim()).not.toBe(readlinkSync(`/proc/self/ns/${ns}`));
    }
  });

  it('runs as a non-root runAs user with no capabilities, and as root only without it', async () => {
    const status = async (runAs?: { uid: number; gid: number }): Promise<Record<string, string>> => {
      const result = await manager.run({
        pid: running.pid,
        namespaces: ['mnt', 'pid'],
        ...(runAs ? { runAs } : {}),
        argv: ['cat', '/proc/self/status'],
      });
      expect(result.exitCode).toBe(0);
      return Object.fromEntries(
        result.stdout
          .split('\n')
          .filter(line => line.includes(':'))
          .map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
      );
    };
    const asNobody = await status({ uid: 65534, gid: 65534 });
    expect(asNobody.CapEff).toBe('0000000000000000');
    expect(asNobody.CapPrm).toBe('0000000000000000');
    expect(asNobody.Uid?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(asNobody.Gid?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    const asRoot = await status();
    expect(asRoot.CapEff).not.toBe('0000000000000000');
    await expect(
      manager.run({ pid: running.pid, namespaces: ['mnt', 'pid'], runAs: { uid: -1, gid: 0 }, argv: ['id'] }),
    ).rejects.toThrow('runAs.uid must be an integer');
    await expect(manager.run({ runAs: { uid: 65534, gid: 65534 }, argv: ['id'] })).rejects.toThrow(
      'pid is required with it',
    );
  });

  it("refuses the container's mount namespace without its pid namespace, naming the field", async () => {
    const refused = await manager
      .run({ pid: running.pid, namespaces: ['mnt'], argv: ['ps', 'aux'] })
      .catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(refused, 'invalid')).toBe(true);
    expect((refused as ChaosplaneError).field).toBe('namespaces');
    expect(String(refused)).toMatch(/enters mnt without pid/);
    await expect(
      manager.injectChange({
        identifier: 'mnt-only',
        pid: running.pid,
        namespaces: ['mnt'],
        apply: { argv: ['true'] },
        undo: { argv: ['true'] },
      }),
    ).rejects.toThrow(/enters mnt without pid/);
    // With both, ps as nobody lists only the container's processes, its sleep as PID 1.
    const ps = await manager.run({
      pid: running.pid,
      namespaces: ['mnt', 'pid'],
      runAs: { uid: 65534, gid: 65534 },
      argv: ['ps', 'aux'],
    });
    expect(ps.stdout).toMatch(/^\s*1 root\s+\/bin\/sleep 3600$/m);
    expect(ps.stdout).not.toMatch(/containerd/);
  });

  it('journals the runAs of a change so its undo runs as the same user', async () => {
    const change = await manager.injectChange({
      identifier: 'run-as-change',
      pid: running.pid,
      namespaces: ['mnt', 'pid'],
      runAs: { uid: 65534, gid: 65534 },
      apply: { argv: ['true'] },
      undo: { argv: ['true'] },
    });
    expect(journal.active().find(e => e.uid === change.uid)?.undo?.runAs).toEqual({ uid: 65534, gid: 65534 });
    expect(await manager.cancel(change.uid)).toBe(true);
  });

  it('kills a container through the runtime', async () => {
    const victim = await containerd.createContainer();
    await client.kill(victim.bareId, 'SIGKILL');
    for (let i = 0; i < 100 && (await containerd.taskStatus(victim.bareId))?.status === 'RUNNING'; i++) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect((await containerd.taskStatus(victim.bareId))?.status).toBe('STOPPED');
  });

  it('refuses a docker:// id on a containerd-only daemon, saying what it expected and found', () => {
    const resolver = createRuntimeResolver([client]);
    expect(() => resolver.clientFor('docker://abc')).toThrow(
      /expected containerd:\/\/ .* but found docker:\/\//,
    );
  });
});
