// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { ChaosplaneError } from '@chaosplane/sdk';

import { createBusyboxRootfs } from './busyboxRootfs.js';
import { logTail, spawnHostDaemon, stopHostDaemon, unmountUnder } from './spawnHostDaemon.js';
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

/** Runs the docker CLI against one dockerd socket. */
type Docker = (...args: string[]) => Promise<{ stdout: string }>;

/** What the environment's functions share: dockerd, its directory and its containers. */
interface DockerState {
  dir: string;
  daemon: ChildProcess;
  docker: Docker;
  /** Ids of every container created, removed by `stop()`. */
  created: Set<string>;
  /** True once the busybox image is imported. */
  imported: boolean;
  /** Numbers the default container names. */
  sequence: number;
}

/** Starts dockerd with its data, exec root, pid file and socket in `dir`, on the given containerd. */
function spawnDockerd(
  dir: string,
  configFile: string,
  socketPath: string,
  containerdSocket: string,
): ChildProcess {
  return spawnHostDaemon(
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
      containerdSocket,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ],
    path.join(dir, 'dockerd.log'),
  );
}

/**
 * Resolves once dockerd answers; when it exits or 30 s pass, kills it, removes its directory
 * and throws with its log.
 */
// Not `eventually`: this wait ends as soon as dockerd exits, and cleans up after it.
async function waitForDockerd(daemon: ChildProcess, docker: Docker, dir: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await docker('version');
      return;
    } catch (error) {
      if (daemon.exitCode !== null || Date.now() > until) {
        daemon.kill('SIGKILL');
        const log = logTail(path.join(dir, 'dockerd.log'));
        await rm(dir, { recursive: true, force: true });
        throw new ChaosplaneError('runtime', `dockerd did not become ready: ${String(error)}\n${log}`);
      }
      await sleep(200);
    }
  }
}

/** Imports the busybox root filesystem as {@link IMAGE}, once. */
async function ensureImage(state: DockerState): Promise<void> {
  if (state.imported) return;
  const rootfs = await createBusyboxRootfs(path.join(state.dir, 'image-rootfs'));
  const tarball = path.join(state.dir, 'rootfs.tar');
  await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
  await state.docker('import', tarball, IMAGE);
  state.imported = true;
}

/** {@link DockerEnvironment.createContainer}: `docker run`, then its PID from `docker inspect`. */
async function createContainer(
  state: DockerState,
  options: { name?: string; argv?: string[] },
): Promise<DockerTestContainer> {
  const { docker } = state;
  await ensureImage(state);
  const name = options.name ?? `cp-${process.pid}-${++state.sequence}`;
  const argv = options.argv ?? ['/bin/sleep', '3600'];
  const { stdout } = await docker('run', '--detach', '--network', 'none', '--name', name, IMAGE, ...argv);
  const bareId = stdout.trim();
  state.created.add(bareId);
  const inspected = await docker('inspect', '--format', '{{.State.Pid}}', bareId);
  return { id: `docker://${bareId}`, bareId, pid: Number(inspected.stdout.trim()) };
}

/** {@link DockerEnvironment.stop}: containers, dockerd, its mounts, the directory. */
async function stopEnvironment(state: DockerState): Promise<void> {
  for (const bareId of state.created) await state.docker('rm', '--force', bareId).catch(() => undefined);
  await stopHostDaemon(state.daemon, 15_000);
  unmountUnder(state.dir);
  await rm(state.dir, { recursive: true, force: true });
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
  const daemon = spawnDockerd(dir, configFile, socketPath, containerd.socketPath);
  const docker: Docker = (...args) =>
    run(dockerCli(), ['--host', `unix://${socketPath}`, ...args], { timeout: 60_000 });
  await waitForDockerd(daemon, docker, dir);
  const state: DockerState = { dir, daemon, docker, created: new Set(), imported: false, sequence: 0 };
  return {
    socketPath,
    dir,
    createContainer: (options = {}) => createContainer(state, options),
    async stopContainer(bareId) {
      await docker('kill', bareId);
    },
    stop: () => stopEnvironment(state),
  };
}
