// SPDX-License-Identifier: Apache-2.0
// exec through the runtimes' own APIs against a REAL containerd + runc and a REAL dockerd,
// started privately by @chaosplane/dev/harness (root needed; skipped with the reason otherwise).
// Every identity check compares the exec with the container's PID 1 as the host sees it, and
// with this test process (root with the full capability set, like the daemon): the exec must
// have the container's user, capabilities, environment and cgroup, never the daemon's.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  containerdUnavailableReason,
  dockerUnavailableReason,
  startContainerd,
  startDocker,
  type ContainerdEnvironment,
  type DockerEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { createChannel, createClient, Metadata } from 'nice-grpc';

import { TasksDefinition } from '../src/gen/containerd/services/tasks/v1/tasks.js';
import { type ContainerRuntimeClient } from '../src/runtime/ContainerRuntime.js';
import { createContainerdClient } from '../src/runtime/createContainerdClient.js';
import { createDockerClient } from '../src/runtime/createDockerClient.js';

const run = promisify(execFile);

/** `Key: value` lines of /proc/PID/status (or of `cat /proc/self/status` output). */
function statusFields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(line => line.includes(':'))
      .map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  );
}

const hostStatus = (pid: number | 'self'): Record<string, string> =>
  statusFields(readFileSync(`/proc/${pid}/status`, 'utf8'));

/** Host PIDs whose cgroup is that of `pid`, with their command lines (NULs as spaces). */
function processesInCgroupOf(pid: number): { pid: number; cmdline: string }[] {
  const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cgroup`, 'utf8') !== cgroup) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function expectAbortedQuickly(promise: Promise<unknown>): Promise<void> {
  const started = Date.now();
  const failure = await promise.catch((e: unknown) => e);
  expect(ChaosplaneError.isKind(failure, 'aborted')).toBe(true);
  expect(Date.now() - started).toBeLessThan(2500);
}

/** The checks both real runtimes must pass; `root` and `user` run `sleep 3600` as 0 and 1000. */
function sharedExecChecks(
  get: () => {
    client: ContainerRuntimeClient;
    root: { bareId: string; pid: number };
    user: { bareId: string; pid: number };
  },
): void {
  it('runs id -u as the container user and cat with stdin', async () => {
    const { client, root } = get();
    expect(await client.exec(root.bareId, { argv: ['/bin/id', '-u'] })).toEqual({
      stdout: '0\n',
      stderr: '',
      exitCode: 0,
      signal: null,
      truncated: false,
    });
    const cat = await client.exec(root.bareId, { argv: ['/bin/cat'], stdin: 'hello\nworld\n' });
    expect(cat.stdout).toBe('hello\nworld\n');
    expect(cat.exitCode).toBe(0);
    const big = 'x'.repeat(300_000);
    expect((await client.exec(root.bareId, { argv: ['/bin/cat'], stdin: big })).stdout).toBe(big);
  });

  it('returns a non-zero exit code and stderr instead of throwing, and passes argv literally', async () => {
    const { client, root } = get();
    const failed = await client.exec(root.bareId, { argv: ['/bin/sh', '-c', 'echo oops >&2; exit 3'] });
    expect(failed).toEqual(expect.objectContaining({ stdout: '', stderr: 'oops\n', exitCode: 3 }));
    const literal = await client.exec(root.bareId, { argv: ['/bin/echo', '$(id)', ';', '`id`', '|', '*'] });
    expect(literal.stdout).toBe('$(id) ; `id` | *\n');
  });

  it('caps each stream at maxOutputBytes and says it truncated', async () => {
    const { client, root } = get();
    const result = await client.exec(root.bareId, {
      argv: ['/bin/busybox', 'sh', '-c', '/bin/busybox yes | /bin/busybox head -c 200000; echo e >&2'],
      maxOutputBytes: 1000,
    });
    expect(result.stdout).toBe('y\n'.repeat(500));
    expect(result.stderr).toBe('e\n');
    expect(result.truncated).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it("runs as the container's configured user (uid 1000): file permissions apply to it", async () => {
    const { client, user } = get();
    expect((await client.exec(user.bareId, { argv: ['/bin/id', '-u'] })).stdout).toBe('1000\n');
    expect((await client.exec(user.bareId, { argv: ['/bin/id', '-g'] })).stdout).toBe('1000\n');
    const append = (file: string): Promise<{ exitCode: number | null; stderr: string }> =>
      client.exec(user.bareId, { argv: ['/bin/sh', '-c', `echo written >> ${file}`] });
    const denied = await append('/tmp/root-owned');
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Permission denied/);
    expect(await append('/tmp/user-owned')).toEqual(expect.objectContaining({ exitCode: 0, stderr: '' }));
    const read = await client.exec(user.bareId, { argv: ['/bin/cat', '/tmp/user-owned'] });
    expect(read.stdout).toBe('written\n');
  });

  it("has the capabilities, environment and cgroup of the container's PID 1, not the daemon's; env adds to it", async () => {
    const { client, root, user } = get();
    const daemon = hostStatus('self');
    for (const container of [root, user]) {
      const status = statusFields(
        (await client.exec(container.bareId, { argv: ['/bin/cat', '/proc/self/status'] })).stdout,
      );
      const pid1 = hostStatus(container.pid);
      for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapInh', 'CapAmb', 'NoNewPrivs', 'Seccomp']) {
        expect([set, status[set]]).toEqual([set, pid1[set]]);
      }
      expect(status.Uid).toBe(pid1.Uid);
      expect(status.Gid).toBe(pid1.Gid);
      const cgroup = await client.exec(container.bareId, { argv: ['/bin/cat', '/proc/self/cgroup'] });
      expect(cgroup.stdout).toBe(readFileSync(`/proc/${container.pid}/cgroup`, 'utf8'));
      expect(cgroup.stdout).not.toBe(readFileSync('/proc/self/cgroup', 'utf8'));
      const env = await client.exec(container.bareId, { argv: ['/bin/env'] });
      const pid1Env = readFileSync(`/proc/${container.pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(env.stdout.split('\n').filter(Boolean).sort()).toEqual(pid1Env.sort());
    }
    // `env` adds to the container's environment and wins over a variable of the same name (the
    // daemon marks its execs this way, so a restarted daemon can find what a crashed one left).
    const pid1Env = readFileSync(`/proc/${root.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const pathOf = pid1Env.find(e => e.startsWith('PATH='));
    expect(pathOf).toBeDefined();
    const marked = await client.exec(root.bareId, {
      argv: ['/bin/env'],
      env: { CHAOSPLANE_TEST_MARK: 'a b=c', PATH: '/bin' },
    });
    const markedEnv = marked.stdout.split('\n').filter(Boolean);
    expect(markedEnv).toContain('CHAOSPLANE_TEST_MARK=a b=c');
    expect(markedEnv.filter(e => e.startsWith('PATH='))).toEqual(['PATH=/bin']);
    expect(markedEnv.filter(e => !/^(CHAOSPLANE_TEST_MARK|PATH)=/.test(e)).sort()).toEqual(
      pid1Env.filter(e => !e.startsWith('PATH=')).sort(),
    );
    const rootStatus = hostStatus(root.pid);
    // The comparison means something: this process (like the daemon) has far more.
    expect(rootStatus.CapEff).not.toBe(daemon.CapEff);
    expect(hostStatus(user.pid).CapEff).toBe('0000000000000000');
  });

  it('kills the process on timeout and on cancel: aborted within 2 s, no sleep 100 left', async () => {
    const { client, root } = get();
    await expectAbortedQuickly(client.exec(root.bareId, { argv: ['/bin/sleep', '100'], timeoutMs: 500 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expectAbortedQuickly(
      client.exec(root.bareId, { argv: ['/bin/sleep', '100'], signal: controller.signal, stdin: 'x' }),
    );
    expect(processesInCgroupOf(root.pid).map(p => p.cmdline)).not.toContainEqual('/bin/sleep 100');
    const cancelled = new AbortController();
    cancelled.abort();
    await expectAbortedQuickly(client.exec(root.bareId, { argv: ['/bin/true'], signal: cancelled.signal }));
  });

  it('fails with kind not-found for an unknown container', async () => {
    const { client } = get();
    const failure = await client.exec('no-such-container', { argv: ['/bin/true'] }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
  });

  it('runs execs side by side', async () => {
    const { client, root } = get();
    // More at once than libuv has threadpool threads, half of them with stdin.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.exec(root.bareId, {
          argv: ['/bin/sh', '-c', `/bin/cat; echo ${i}; exit ${i}`],
          ...(i % 2 ? { stdin: `in${i} ` } : {}),
        }),
      ),
    );
    expect(results.map(r => [r.stdout, r.exitCode])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`${i % 2 ? `in${i} ` : ''}${i}\n`, i]),
    );
  });
}

const containerdUnavailable = containerdUnavailableReason();

describeIf(containerdUnavailable)('exec through a real containerd', () => {
  let containerd: ContainerdEnvironment;
  let client: ContainerRuntimeClient;
  let root: TestContainer;
  let user: TestContainer;
  let stopped: TestContainer;
  let fifoDir: string;
  let fdsBefore: number;

  beforeAll(async () => {
    containerd = await startContainerd();
    fifoDir = await mkdtemp(path.join(os.tmpdir(), 'cp-fifo-'));
    client = createContainerdClient({
      socketPath: containerd.socketPath,
      namespace: containerd.namespace,
      fifoDir,
    });
    root = await containerd.createContainer();
    user = await containerd.createContainer({ user: { uid: 1000, gid: 1000 } });
    stopped = await containerd.createContainer();
    await containerd.stopContainer(stopped.bareId);
    await writeFile(path.join(user.rootfs, 'tmp', 'root-owned'), 'root\n', { mode: 0o644 });
    await writeFile(path.join(user.rootfs, 'tmp', 'user-owned'), '', { mode: 0o644 });
    await chown(path.join(user.rootfs, 'tmp', 'user-owned'), 1000, 1000);
    // The gRPC channel's own descriptors are opened by the first call.
    await client.list();
    fdsBefore = openFds();
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await containerd?.stop();
    if (fifoDir) await rm(fifoDir, { recursive: true, force: true });
  }, 60_000);

  sharedExecChecks(() => ({ client, root, user }));

  it('says a stopped container is not running', async () => {
    const failure = await client.exec(stopped.bareId, { argv: ['/bin/true'] }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
    expect((failure as Error).message).toMatch(/is not running/);
  });

  it("fails with kind command, in runc's words, when the program cannot be started", async () => {
    for (const [program, why] of [
      ['/bin/no-such-program', 'no such file or directory'],
      ['no-such-program', 'executable file not found in $PATH'],
      ['/etc/passwd', 'permission denied'],
    ]) {
      const failure = await client.exec(root.bareId, { argv: [program!] }).catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(failure, 'command')).toBe(true);
      expect((failure as Error).message).toContain(
        `"${program}" could not be started in containerd://${root.bareId}`,
      );
      expect((failure as Error).message).toContain(why);
    }
  });

  it('keeps kind runtime for a containerd it cannot reach', async () => {
    const nowhere = createContainerdClient({
      socketPath: path.join(fifoDir, 'no-containerd.sock'),
      namespace: containerd.namespace,
      fifoDir,
    });
    try {
      const failure = await nowhere
        .exec(root.bareId, { argv: ['/bin/no-such-program'] })
        .catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(failure, 'runtime')).toBe(true);
    } finally {
      nowhere.close();
    }
  });

  it('refuses an empty argv, naming the field', async () => {
    const failure = await client.exec(root.bareId, { argv: [] }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'invalid')).toBe(true);
    expect((failure as ChaosplaneError).field).toBe('argv');
  });

  it('leaves nothing behind: no exec process in the task, no exec state, no FIFO dir, no descriptor', async () => {
    const channel = createChannel(`unix://${containerd.socketPath}`);
    try {
      const tasks = createClient(TasksDefinition, channel, {
        '*': { metadata: Metadata({ 'containerd-namespace': containerd.namespace }) },
      });
      for (const container of [root, user]) {
        const { processes } = await tasks.listPids({ containerId: container.bareId });
        expect(processes.map(p => p.pid)).toEqual([container.pid]);
        const shimState = path.join(
          containerd.dir,
          'state',
          'io.containerd.runtime.v2.task',
          containerd.namespace,
          container.bareId,
        );
        // The shim keeps EXEC_ID.pid until DeleteProcess.
        expect((await readdir(shimState)).filter(name => name.startsWith('chaosplane-exec-'))).toEqual([]);
        expect(processesInCgroupOf(container.pid).map(p => p.pid)).toEqual([container.pid]);
      }
      const { stdout } = await run('ctr', [
        '--address',
        containerd.socketPath,
        '--namespace',
        containerd.namespace,
        'task',
        'ps',
        root.bareId,
      ]);
      expect(stdout).not.toContain('chaosplane-exec-');
    } finally {
      channel.close();
    }
    expect(await readdir(fifoDir)).toEqual([]);
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);
  });
});

describeIf(containerdUnavailable ?? dockerUnavailableReason())('exec through a real dockerd', () => {
  let containerd: ContainerdEnvironment;
  let docker: DockerEnvironment;
  let client: ContainerRuntimeClient;
  let root: { bareId: string; pid: number };
  let user: { bareId: string; pid: number };
  const cli = (...args: string[]): Promise<{ stdout: string }> =>
    run('docker', ['--host', `unix://${docker.socketPath}`, ...args], { timeout: 60_000 });

  beforeAll(async () => {
    containerd = await startContainerd({ namespace: 'chaosplane-docker-exec' });
    docker = await startDocker(containerd);
    client = createDockerClient({ socketPath: docker.socketPath });
    root = await docker.createContainer();
    // The harness has no user option for Docker: the image it imported is run with --user.
    const created = await cli(
      'run',
      '--detach',
      '--network',
      'none',
      '--user',
      '1000:1000',
      'chaosplane-busybox:test',
      '/bin/sleep',
      '3600',
    );
    const bareId = created.stdout.trim();
    user = {
      bareId,
      pid: Number((await cli('inspect', '--format', '{{.State.Pid}}', bareId)).stdout.trim()),
    };
    // /tmp is root's in the image: one root-owned and one uid-1000-owned file, made by root.
    await cli(
      'exec',
      '--user',
      '0',
      bareId,
      '/bin/sh',
      '-c',
      'echo root > /tmp/root-owned; touch /tmp/user-owned',
    );
    await cli('exec', '--user', '0', bareId, '/bin/busybox', 'chown', '1000:1000', '/tmp/user-owned');
  }, 180_000);

  afterAll(async () => {
    client?.close();
    if (user) await cli('rm', '--force', user.bareId).catch(() => undefined);
    await docker?.stop();
    await containerd?.stop();
  }, 120_000);

  it("answers a program that cannot be started with exit 126 and runc's words, as a command failure", async () => {
    // Docker starts the exec and reports the failure as its result (the daemon's toolkit then
    // rejects with kind command, as for containerd and CRI-O, whose APIs fail the call instead).
    const result = await client.exec(root.bareId, { argv: ['/bin/no-such-program'] });
    expect(result.exitCode).toBe(126);
    expect(result.stdout).toContain(
      '"/bin/no-such-program": stat /bin/no-such-program: no such file or directory',
    );
  });

  sharedExecChecks(() => ({ client, root, user }));

  it('says a stopped container is not running', async () => {
    const stopped = await docker.createContainer();
    await docker.stopContainer(stopped.bareId);
    const failure = await client.exec(stopped.bareId, { argv: ['/bin/true'] }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
    expect((failure as Error).message).toMatch(/is not running/);
  });

  it('leaves no exec process in the container', () => {
    for (const container of [root, user]) {
      expect(processesInCgroupOf(container.pid).map(p => p.pid)).toEqual([container.pid]);
    }
  });
});
