// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { ChaosplaneError } from '@chaosplane/sdk';

import { createBusyboxRootfs } from './busyboxRootfs.js';
import type { ContainerdEnvironment } from './startContainerd.js';

const run = promisify(execFile);
const IMAGE = 'chaosplane-busybox:test';

/** A container started by {@link DockerEnvironment.createContainer}. */
export interface DockerTestContainer {
  /** Kubernetes-style id: `docker://<64 hex>`. */
  id: string;
  bareId: string;
  /** Host PID of its init process, read with `docker inspect` (independently of the daemon). */
  pid: number;
}

/** A private dockerd on top of a test containerd. */
export interface DockerEnvironment {
  /** The Engine API socket. */
  socketPath: string;
  dir: string;
  /** Runs a container from a busybox image (imported once), by default `sleep 3600`. */
  createContainer(options?: { name?: string; argv?: string[] }): Promise<DockerTestContainer>;
  /** `docker kill`: the container stays, exited. */
  stopContainer(bareId: string): Promise<void>;
  /** Removes every container, stops dockerd, unmounts and removes the directory. */
  stop(): Promise<void>;
}

function dockerCli(): string {
  // Prefer the client of the same Debian package as dockerd (API versions match).
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** Why dockerd cannot run here, or undefined when it can (needs root and Debian's docker.io). */
export function dockerUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  try {
    execFileSync('sh', ['-c', 'command -v dockerd && command -v docker'], { stdio: 'ignore' });
  } catch {
    return 'dockerd is not installed (Debian package docker.io)';
  }
  return undefined;
}

/**
 * Starts a private dockerd (own --data-root, --exec-root and -H unix socket, no iptables, no
 * bridge, vfs storage) that uses the given test containerd. Containers come from an image
 * imported from the busybox root filesystem (`docker import`), so no registry is needed.
 */
export async function startDocker(containerd: ContainerdEnvironment): Promise<DockerEnvironment> {
  const reason = dockerUnavailableReason();
  if (reason) throw new ChaosplaneError('runtime', `cannot start dockerd: ${reason}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-dkr-'));
  const socketPath = path.join(dir, 'docker.sock');
  const configFile = path.join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n');
  const logFd = openSync(path.join(dir, 'dockerd.log'), 'a');
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--config-file',
      configFile,
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '--host',
      `unix://${socketPath}`,
      '--containerd',
      containerd.socketPath,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const docker = (...args: string[]): Promise<{ stdout: string }> =>
    run(dockerCli(), ['--host', `unix://${socketPath}`, ...args], { timeout: 60_000 });
  const created = new Set<string>();
  let imported = false;

  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await docker('version');
      break;
    } catch (error) {
      if (daemon.exitCode !== null || Date.now() > until) {
        daemon.kill('SIGKILL');
        const log = readFileSync(path.join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-20).join('\n');
        await rm(dir, { recursive: true, force: true });
        throw new ChaosplaneError('runtime', `dockerd did not become ready: ${String(error)}\n${log}`);
      }
      await sleep(200);
    }
  }

  async function ensureImage(): Promise<void> {
    if (imported) return;
    const rootfs = await createBusyboxRootfs(path.join(dir, 'image-rootfs'));
    const tarball = path.join(dir, 'rootfs.tar');
    await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
    await docker('import', tarball, IMAGE);
    imported = true;
  }

  let sequence = 0;
  return {
    socketPath,
    dir,
    async createContainer(options = {}) {
      await ensureImage();
      const name = options.name ?? `cp-${process.pid}-${++sequence}`;
      const argv = options.argv ?? ['/bin/sleep', '3600'];
      const { stdout } = await docker('run', '--detach', '--network', 'none', '--name', name, IMAGE, ...argv);
      const bareId = stdout.trim();
      created.add(bareId);
      const inspected = await docker('inspect', '--format', '{{.State.Pid}}', bareId);
      return { id: `docker://${bareId}`, bareId, pid: Number(inspected.stdout.trim()) };
    },
    async stopContainer(bareId) {
      await docker('kill', bareId);
    },
    async stop() {
      for (const bareId of created) await docker('rm', '--force', bareId).catch(() => undefined);
      daemon.kill('SIGTERM');
      const giveUp = new AbortController();
      await Promise.race([
        new Promise(resolve => daemon.once('exit', resolve)),
        sleep(15_000, undefined, { signal: giveUp.signal }).catch(() => undefined),
      ]);
      giveUp.abort();
      if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      for (const target of readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map(line => line.split(' ')[1] ?? '')
        .filter(t => t.startsWith(dir))
        .sort((a, b) => b.length - a.length)) {
        try {
          execFileSync('umount', ['-l', target], { stdio: 'ignore' });
        } catch {
          // Already gone.
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
