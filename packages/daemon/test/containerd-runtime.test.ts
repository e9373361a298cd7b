// SPDX-License-Identifier: Apache-2.0
// Real containerd + runc, started privately by @chaosplane/daemon/testing. The daemon's client
// reads PIDs through containerd's gRPC API; the harness cross-checks them with `ctr task ls`.
import { readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/core';
import {
  createContainerdClient,
  createJournal,
  createProcessManager,
  createRuntimeResolver,
  type ContainerRuntimeClient,
  type ProcessManager,
} from '@chaosplane/daemon';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/daemon/testing';

const unavailable = containerdUnavailableReason();
if (unavailable) console.warn(`SKIPPED containerd tests: ${unavailable}`);
const describeReal = unavailable ? describe.skip : describe;

describeReal('against a real containerd', () => {
  let containerd: ContainerdEnvironment;
  let client: ContainerRuntimeClient;
  let running: TestContainer;
  let stopped: TestContainer;
  let stateDir: string;
  let manager: ProcessManager;

  beforeAll(async () => {
    containerd = await startContainerd();
    client = createContainerdClient({ socketPath: containerd.socketPath, namespace: containerd.namespace });
    running = await containerd.createContainer();
    stopped = await containerd.createContainer();
    await containerd.stopContainer(stopped.bareId);
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-pm-'));
    manager = createProcessManager({ journal: createJournal(stateDir), stateDir });
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
    const result = await manager.run({ pid: running.pid, namespaces: ['mnt'], argv: ['ps', 'aux'] });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('sleep 3600');
    // The container's ps is busybox: its root is the container's, not the host's.
    const ls = await manager.run({ pid: running.pid, namespaces: ['mnt'], argv: ['ls', '/bin'] });
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
