// SPDX-License-Identifier: Apache-2.0
// One container of the local kubelet, through containerd's API as a CRI runtime makes it: a
// snapshot of its image under a lease (or a root filesystem directory for the busybox path),
// the container with its OCI spec, and its task with stdout and stderr on FIFOs that this
// process reads, so the kubelet keeps the container's log. Wait gives the real exit status.
import os from 'node:os';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import {
  type ContainerdApi,
  containerdError,
  DELETE_TIMEOUT_MS,
  drainOutput,
  isNotFound,
  KILL_WAIT_MS,
  makeFifos,
  OUTPUT_DRAIN_MS,
  openOutput,
  type OutputReader,
} from '@chaosplane/daemon/containerd';
import type { ResolvedImage } from './images.js';

/** The OCI type containerd expects in a container's spec Any. */
const SPEC_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
/** The snapshotter `ctr images import` unpacks into by default. */
export const SNAPSHOTTER = 'overlayfs';
/** The runtime shim of every container. */
const RUNTIME = 'io.containerd.runc.v2';

/** Where a container's root filesystem comes from. */
export type ContainerRootfs = { kind: 'dir'; path: string } | { kind: 'image'; image: ResolvedImage };

/** How a container's task ended. */
export interface TaskExit {
  exitCode: number;
  finishedAt: Date;
}

/** Options of {@link runContainer}. */
export interface RunContainerOptions {
  id: string;
  /**
   * The OCI runtime spec, made once the root filesystem is known: `roots` are the directories
   * that hold it, topmost first (to read its /etc/passwd). `root.path` is set here.
   */
  spec(roots: string[]): Record<string, unknown>;
  rootfs: ContainerRootfs;
  labels?: Record<string, string>;
  /** Where the FIFO directory goes (a short path). */
  fifoParent: string;
  /** Every chunk the process writes; `end` once both streams ended. */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
}

/** A started container. */
export interface StartedContainer {
  bareId: string;
  /** Host PID of its init process. */
  pid: number;
  /** Resolves when the task exited and its output was read to the end. */
  exited: Promise<TaskExit>;
}

/** Creates the container record: from an image snapshot (made under a lease) or a directory. */
async function createContainerRecord(
  api: ContainerdApi,
  options: RunContainerOptions,
): Promise<{ mounts: { type: string; source: string; target: string; options: string[] }[] }> {
  const { id, rootfs, signal } = options;
  const containerOf = (roots: string[]) => {
    const base = options.spec(roots);
    const spec = {
      ...base,
      root: { ...(base['root'] as object), path: rootfs.kind === 'dir' ? rootfs.path : 'rootfs' },
    };
    return {
      id,
      labels: options.labels ?? {},
      image: rootfs.kind === 'image' ? rootfs.image.name : '',
      runtime: { name: RUNTIME },
      spec: { typeUrl: SPEC_TYPE, value: Buffer.from(JSON.stringify(spec)) },
      snapshotter: rootfs.kind === 'image' ? SNAPSHOTTER : '',
      snapshotKey: rootfs.kind === 'image' ? id : '',
    };
  };
  if (rootfs.kind === 'dir') {
    await api.containers.create({ container: containerOf([rootfs.path]) }, { signal });
    return { mounts: [] };
  }
  // The lease keeps the new snapshot from the garbage collector until the container refers to it.
  const leaseId = `kubelet-${id}-${randomBytes(4).toString('hex')}`;
  await api.leases.create({ id: leaseId, labels: {} }, { signal });
  try {
    const metadata = api.leased(leaseId);
    const prepared = await api.snapshots.prepare(
      { snapshotter: SNAPSHOTTER, key: id, parent: rootfs.image.chainId, labels: {} },
      { signal, metadata },
    );
    await api.containers.create({ container: containerOf(rootsOf(prepared.mounts)) }, { signal, metadata });
    return { mounts: prepared.mounts };
  } finally {
    await api.leases.delete({ id: leaseId, sync: false }).catch(() => undefined);
  }
}

/** The directories an image snapshot's mounts stack, topmost first. */
function rootsOf(mounts: { type: string; source: string; options: string[] }[]): string[] {
  const roots: string[] = [];
  for (const mount of mounts) {
    if (mount.type === 'bind') roots.push(mount.source);
    for (const option of mount.options) {
      if (option.startsWith('upperdir=')) roots.unshift(option.slice('upperdir='.length));
      if (option.startsWith('lowerdir=')) roots.push(...option.slice('lowerdir='.length).split(':'));
    }
  }
  return roots;
}

/** Reads stdout and stderr until both ended, then resolves the exit Wait reported. */
async function exitOf(
  api: ContainerdApi,
  id: string,
  readers: OutputReader[],
  fifoDir: string,
): Promise<TaskExit> {
  let exit: TaskExit;
  try {
    const waited = await api.tasks.wait({ containerId: id, execId: '' });
    exit = { exitCode: waited.exitStatus, finishedAt: waited.exitedAt ?? new Date() };
  } catch {
    // The task was deleted (the kubelet stopped it) or containerd went away.
    exit = { exitCode: 137, finishedAt: new Date() };
  }
  await drainOutput(readers, OUTPUT_DRAIN_MS);
  await rm(fifoDir, { recursive: true, force: true });
  return exit;
}

/**
 * Creates and starts a container; its output goes to `options.output`. Removes what it made when
 * a step fails.
 */
export async function runContainer(
  api: ContainerdApi,
  options: RunContainerOptions,
): Promise<StartedContainer> {
  const { id, signal } = options;
  const fifos = await makeFifos(options.fifoParent, { stdin: false, stderr: true });
  const readers: OutputReader[] = [];
  try {
    readers.push(openOutput(fifos.stdout, chunk => options.output('stdout', chunk)));
    readers.push(openOutput(fifos.stderr!, chunk => options.output('stderr', chunk)));
    const { mounts } = await createContainerRecord(api, options);
    const created = await api.tasks.create(
      {
        containerId: id,
        rootfs: mounts,
        stdin: '',
        stdout: fifos.stdout,
        stderr: fifos.stderr!,
        terminal: false,
      },
      { signal },
    );
    await api.tasks.start({ containerId: id, execId: '' }, { signal });
    // The shim holds its writers now: EOF on a stream means the process is gone.
    for (const reader of readers) reader.releasePlaceholder();
    return { bareId: id, pid: created.pid, exited: exitOf(api, id, readers, fifos.dir) };
  } catch (error) {
    for (const reader of readers) reader.destroy();
    await removeContainer(api, id);
    await rm(fifos.dir, { recursive: true, force: true });
    throw containerdError(`starting container ${id}`, error);
  }
}

/** Sends a signal to the container's init process; false when it has no task. */
export async function signalContainer(
  api: ContainerdApi,
  id: string,
  signal: NodeJS.Signals,
): Promise<boolean> {
  try {
    await api.tasks.kill({ containerId: id, execId: '', signal: os.constants.signals[signal], all: false });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw containerdError(`Tasks.Kill(${id}, ${signal})`, error);
  }
}

/** Kills the task (SIGKILL), deletes it, the container and its snapshot; missing parts are fine. */
export async function removeContainer(api: ContainerdApi, id: string): Promise<void> {
  const signal = AbortSignal.timeout(DELETE_TIMEOUT_MS);
  const killed = await signalContainer(api, id, 'SIGKILL').catch(() => false);
  if (killed) {
    await Promise.race([
      api.tasks.wait({ containerId: id, execId: '' }, { signal }).catch(() => undefined),
      new Promise(resolve => setTimeout(resolve, KILL_WAIT_MS).unref()),
    ]);
  }
  await api.tasks.delete({ containerId: id }, { signal }).catch(() => undefined);
  await api.containers.delete({ id }, { signal }).catch(() => undefined);
  await api.snapshots.remove({ snapshotter: SNAPSHOTTER, key: id }, { signal }).catch(() => undefined);
}
