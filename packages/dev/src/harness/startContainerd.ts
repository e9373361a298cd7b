// SPDX-License-Identifier: Apache-2.0
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { ChaosplaneError } from '@chaosplane/sdk';

import { busyboxPath, createBusyboxRootfs } from './busyboxRootfs.js';
import { logTail, spawnHostDaemon, stopHostDaemon, unmountUnder } from './spawnHostDaemon.js';

const run = promisify(execFile);

/** A container started by {@link ContainerdEnvironment.createContainer}. */
export interface TestContainer {
  /** Kubernetes-style id: `containerd://<bareId>`. */
  id: string;
  bareId: string;
  /** Host PID of its init process, read with `ctr task ls` (independently of the daemon). */
  pid: number;
  /** Its root filesystem on the host. */
  rootfs: string;
}

/** A private containerd, its socket and the containers created in it. */
export interface ContainerdEnvironment {
  /** containerd's gRPC socket. */
  socketPath: string;
  /** The containerd namespace the containers live in. */
  namespace: string;
  /** The temporary directory holding root, state, socket, config and rootfs copies. */
  dir: string;
  /**
   * Where this process reaches a path of the node as containerd's containers see it:
   * `/proc/<containerd's pid>/root` with {@link StartContainerdOptions.nodeBinds} (that mount
   * namespace), `/` otherwise.
   */
  nodeRoot: string;
  /**
   * Starts a container from a busybox rootfs, by default running `sleep 3600`. With `user`, its
   * process runs as that uid/gid with no capabilities at all (every set empty, no new
   * privileges), as a restricted pod (`runAsUser`, `capabilities.drop: [ALL]`) would.
   */
  createContainer(options?: CreateContainerOptions): Promise<TestContainer>;
  /** Kills a container's task with SIGKILL and waits until it is STOPPED (the task is kept). */
  stopContainer(bareId: string): Promise<void>;
  /** Status of a container's task as ctr shows it (RUNNING, STOPPED…), undefined without a task. */
  taskStatus(bareId: string): Promise<{ pid: number; status: string } | undefined>;
  /** Deletes every container, stops containerd and its shims, unmounts and removes the directory. */
  stop(): Promise<void>;
}

/** Options of {@link ContainerdEnvironment.createContainer}. */
export interface CreateContainerOptions {
  /** Container id; a unique `cp-…` by default. */
  id?: string;
  /** Its process; `/bin/sleep 3600` by default. */
  argv?: string[];
  /** Run its process as this user, without capabilities; root with ctr's defaults otherwise. */
  user?: { uid: number; gid: number };
  /**
   * Its network: a network namespace to join (a pod's, bind-mounted at this path), or the host's;
   * a new namespace with only loopback by default.
   */
  network?: { netns: string } | 'host';
  /** Its memory limit (the cgroup's, as a pod's `resources.limits.memory` sets it); none by default. */
  memoryLimitBytes?: number;
}

/** The PATH of every container, as an image's config gives it (busybox's: its applets are in /bin). */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `ctr run` flags of a container's network. */
function networkFlags(network: CreateContainerOptions['network']): string[] {
  if (network === undefined) return [];
  return network === 'host' ? ['--net-host'] : ['--with-ns', `network:${network.netns}`];
}

/** Options of {@link startContainerd}. */
export interface StartContainerdOptions {
  /** containerd namespace; `chaosplane-test` by default. */
  namespace?: string;
  /** Where the temporary directory goes; os.tmpdir() by default (keep it short: socket paths). */
  parentDir?: string;
  /**
   * The node's own paths, as a kind node has them in its container: containerd and its shims
   * (so runc, which resolves a pod's hostPath mounts and opens exec FIFOs by path) run in a
   * mount namespace of their own where each `target` shows `source` (`{dir}` in a source is
   * containerd's directory). The host only gets an empty directory at each target, as a mount
   * point. Mounts made later under each of `sharedDirs` (the pod network's namespaces) reach
   * that namespace too.
   */
  nodeBinds?: { binds: ReadonlyArray<{ source: string; target: string }>; sharedDirs: readonly string[] };
}

/**
 * Why containerd cannot run here (not root, binaries missing), or undefined when it can. Tests
 * print this when they skip.
 */
export function containerdUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'containerd needs root (run the tests as root)';
  for (const binary of ['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2']) {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { stdio: 'ignore' });
    } catch {
      return `${binary} is not installed (Debian packages containerd and runc; scripts/install-system-deps.sh)`;
    }
  }
  if (!busyboxPath()) return 'busybox is not installed (Debian package busybox-static)';
  return undefined;
}

/** Runs `ctr` against one containerd socket and namespace. */
type Ctr = (...args: string[]) => Promise<{ stdout: string }>;

/** What the environment's functions share: the containerd, its directory and its containers. */
interface ContainerdState {
  dir: string;
  namespace: string;
  daemon: ChildProcess;
  ctr: Ctr;
  /** Bare ids of every container created, removed by `stop()`. */
  created: Set<string>;
  /** Numbers the default container ids. */
  sequence: number;
  /** The directories made shared for containerd's mount namespace, unmounted by `stop()`. */
  sharedDirs: readonly string[];
}

/**
 * Makes `dir` a shared mount (a bind of itself), so that what is mounted under it later (a pod's
 * network namespace) also shows in a mount namespace made from this one afterwards.
 */
async function shareMounts(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('mount', ['--bind', dir, dir]);
  await run('mount', ['--make-shared', dir]);
}

/** Binds `source` (`{dir}`: containerd's directory) at `target` in the mount namespace of `pid`. */
async function bindInNamespace(pid: number, bind: { source: string; target: string }, dir: string) {
  const source = bind.source.replaceAll('{dir}', dir);
  await mkdir(source, { recursive: true });
  // The mount point, on the host: the namespace's view of directories is the host's until bound.
  await mkdir(bind.target, { recursive: true });
  await run('nsenter', [`--mount=/proc/${pid}/ns/mnt`, '--', 'mount', '--bind', source, bind.target]);
}

/** Writes containerd's config.toml into `dir`: its sockets, and no CRI plugin; returns its path. */
async function writeContainerdConfig(dir: string, socketPath: string): Promise<string> {
  const configPath = path.join(dir, 'config.toml');
  await writeFile(
    configPath,
    [
      'version = 2',
      // The CRI plugin would want CNI and a sandbox image; tests only need tasks and containers.
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(socketPath)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${socketPath}.ttrpc`)}`,
      '',
    ].join('\n'),
  );
  return configPath;
}

/** Resolves once containerd answers on `socketPath`; throws with its log when it exits or 20 s pass. */
// Not `eventually`: this wait ends as soon as containerd exits, and the error carries its log.
async function waitForSocket(daemon: ChildProcess, socketPath: string, logFile: string): Promise<void> {
  const until = Date.now() + 20_000;
  let lastError: unknown;
  while (Date.now() < until) {
    if (daemon.exitCode !== null) break;
    try {
      await run('ctr', ['--address', socketPath, 'version'], { timeout: 5000 });
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  const log = logTail(logFile);
  throw new ChaosplaneError('runtime', `containerd did not become ready: ${String(lastError)}\n${log}`);
}

/** {@link ContainerdEnvironment.taskStatus}, read from `ctr task ls`. */
async function taskStatusOf(ctr: Ctr, bareId: string): Promise<{ pid: number; status: string } | undefined> {
  const { stdout } = await ctr('task', 'ls');
  for (const line of stdout.split('\n').slice(1)) {
    const [task, pid, status] = line.trim().split(/\s+/);
    if (task === bareId) return { pid: Number(pid), status: status ?? '' };
  }
  return undefined;
}

/** Kills a container's task, waits (up to 5 s) until it no longer runs, deletes task and container. */
async function removeContainer(ctr: Ctr, bareId: string): Promise<void> {
  await ctr('task', 'kill', '--signal', 'SIGKILL', bareId).catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    const status = await taskStatusOf(ctr, bareId).catch(() => undefined);
    if (!status || status.status !== 'RUNNING') break;
    await sleep(50);
  }
  await ctr('task', 'delete', '--force', bareId).catch(() => undefined);
  await ctr('container', 'delete', bareId).catch(() => undefined);
}

/** {@link ContainerdEnvironment.createContainer}: runs it, then waits (up to 5 s) for its task's PID. */
async function createContainer(
  state: ContainerdState,
  options: CreateContainerOptions,
): Promise<TestContainer> {
  const { ctr, dir } = state;
  const bareId = options.id ?? `cp-${process.pid}-${++state.sequence}-${Date.now().toString(36)}`;
  const argv = options.argv ?? ['/bin/sleep', '3600'];
  const rootfs = await createBusyboxRootfs(path.join(dir, 'rootfs', bareId));
  state.created.add(bareId);
  const { user, network, memoryLimitBytes } = options;
  if (user) {
    const specPath = await writeUserSpec(dir, state.namespace, {
      bareId,
      rootfs,
      argv,
      user,
      network,
      memoryLimitBytes,
    });
    await ctr('run', '--detach', '--config', specPath, bareId);
  } else {
    await ctr(
      'run',
      '--detach',
      '--env',
      `PATH=${CONTAINER_PATH}`,
      ...networkFlags(network),
      ...(memoryLimitBytes !== undefined ? ['--memory-limit', String(memoryLimitBytes)] : []),
      '--rootfs',
      rootfs,
      bareId,
      ...argv,
    );
  }
  for (let i = 0; i < 200; i++) {
    const status = await taskStatusOf(ctr, bareId);
    if (status && status.pid > 0) return { id: `containerd://${bareId}`, bareId, pid: status.pid, rootfs };
    await sleep(25);
  }
  throw new ChaosplaneError('runtime', `container ${bareId} did not start`);
}

/** {@link ContainerdEnvironment.stopContainer}: SIGKILL, then waits (up to 5 s) for STOPPED. */
async function stopContainer(ctr: Ctr, bareId: string): Promise<void> {
  await ctr('task', 'kill', '--signal', 'SIGKILL', bareId);
  for (let i = 0; i < 200; i++) {
    const status = await taskStatusOf(ctr, bareId);
    if (status?.status === 'STOPPED') return;
    await sleep(25);
  }
  throw new ChaosplaneError('runtime', `container ${bareId} did not stop`);
}

/** {@link ContainerdEnvironment.stop}: containers, containerd, its shims and mounts, the directory. */
async function stopEnvironment(state: ContainerdState): Promise<void> {
  for (const bareId of state.created) await removeContainer(state.ctr, bareId);
  await stopHostDaemon(state.daemon, 10_000);
  killShims(state.dir);
  unmountUnder(state.dir);
  // containerd's namespace is gone with it and its shims; the host's shared binds are not.
  for (const shared of state.sharedDirs) unmountUnder(shared);
  await rm(state.dir, { recursive: true, force: true });
}

/**
 * Starts containerd with `args` (in a mount namespace of its own with `nodeBinds`) and waits
 * until it answers; on a failure kills it, undoes the binds and removes `dir`.
 */
async function spawnContainerd(
  args: string[],
  where: { dir: string; socketPath: string; logFile: string; nodeBinds: StartContainerdOptions['nodeBinds'] },
): Promise<ChildProcess> {
  const { dir, socketPath, logFile, nodeBinds } = where;
  if (nodeBinds) for (const shared of nodeBinds.sharedDirs) await shareMounts(shared);
  const daemon = nodeBinds
    ? // unshare execs containerd (no --fork): the child's PID is containerd's. `slave`: mounts
      // of the host's shared directories reach it; nothing it mounts reaches the host.
      spawnHostDaemon('unshare', ['--mount', '--propagation', 'slave', '--', 'containerd', ...args], logFile)
    : spawnHostDaemon('containerd', args, logFile);
  try {
    await waitForSocket(daemon, socketPath, logFile);
    for (const bind of nodeBinds?.binds ?? []) await bindInNamespace(daemon.pid!, bind, dir);
    return daemon;
  } catch (error) {
    daemon.kill('SIGKILL');
    for (const shared of nodeBinds?.sharedDirs ?? []) unmountUnder(shared);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts a private containerd (own --root, --state, --address and a config that disables the
 * CRI plugin) under a temporary directory. Containers are created with
 * `ctr run -d --rootfs DIR ID …` from a copy of the static busybox, so no image registry is
 * needed. Always call `stop()` (in afterAll): it removes containers, shims and mounts.
 *
 * @example
 * const containerd = await startContainerd();
 * const c = await containerd.createContainer();       // sleep 3600
 * // c.id === 'containerd://…', c.pid is the host PID
 * await containerd.stop();
 */
export async function startContainerd(options: StartContainerdOptions = {}): Promise<ContainerdEnvironment> {
  const reason = containerdUnavailableReason();
  if (reason) throw new ChaosplaneError('runtime', `cannot start containerd: ${reason}`);
  const namespace = options.namespace ?? 'chaosplane-test';
  const dir = await mkdtemp(path.join(options.parentDir ?? os.tmpdir(), 'cp-ctd-'));
  const socketPath = path.join(dir, 'containerd.sock');
  const configPath = await writeContainerdConfig(dir, socketPath);
  const logFile = path.join(dir, 'containerd.log');
  const args = ['--config', configPath, '--root', path.join(dir, 'root')];
  args.push('--state', path.join(dir, 'state'), '--address', socketPath);
  const nodeBinds = options.nodeBinds;
  const daemon = await spawnContainerd(args, { dir, socketPath, logFile, nodeBinds });
  const ctr: Ctr = (...args) =>
    run('ctr', ['--address', socketPath, '--namespace', namespace, ...args], { timeout: 30_000 });
  const state: ContainerdState = {
    dir,
    namespace,
    daemon,
    ctr,
    created: new Set(),
    sequence: 0,
    sharedDirs: nodeBinds?.sharedDirs ?? [],
  };
  return {
    socketPath,
    namespace,
    dir,
    nodeRoot: nodeBinds ? `/proc/${daemon.pid}/root` : '/',
    taskStatus: bareId => taskStatusOf(ctr, bareId),
    createContainer: (containerOptions = {}) => createContainer(state, containerOptions),
    stopContainer: bareId => stopContainer(ctr, bareId),
    stop: () => stopEnvironment(state),
  };
}

// ctr 1.6 has no --user: the spec is ctr's default one, completed as `ctr run --rootfs` would
// (args, root path, cgroup /namespace/id), with the user set and every capability dropped.
async function writeUserSpec(
  dir: string,
  namespace: string,
  container: {
    bareId: string;
    rootfs: string;
    argv: string[];
    user: { uid: number; gid: number };
    network: CreateContainerOptions['network'];
    memoryLimitBytes: number | undefined;
  },
): Promise<string> {
  const { bareId, rootfs, argv, user, network, memoryLimitBytes } = container;
  const spec = JSON.parse((await run('ctr', ['oci', 'spec'])).stdout) as {
    process: Record<string, unknown>;
    root: Record<string, unknown>;
    linux: Record<string, unknown>;
  };
  spec.process.args = argv;
  spec.process.env = [`PATH=${CONTAINER_PATH}`];
  spec.process.user = { uid: user.uid, gid: user.gid };
  spec.process.noNewPrivileges = true;
  spec.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
  spec.root = { path: rootfs, readonly: false };
  spec.linux.cgroupsPath = `/${namespace}/${bareId}`;
  if (memoryLimitBytes !== undefined) spec.linux.resources = { memory: { limit: memoryLimitBytes } };
  if (network !== undefined) {
    // The default spec asks for a new network namespace: join the pod's, or none (the host's).
    const others = (spec.linux.namespaces as { type: string }[]).filter(ns => ns.type !== 'network');
    spec.linux.namespaces =
      network === 'host' ? others : [...others, { type: 'network', path: network.netns }];
  }
  const specPath = path.join(dir, 'specs', `${bareId}.json`);
  await mkdir(path.dirname(specPath), { recursive: true });
  await writeFile(specPath, JSON.stringify(spec));
  return specPath;
}

// Shims outlive containerd by design; ours carry our socket path in their command line.
function killShims(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('containerd-shim') && cmdline.includes(dir))
        process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}
