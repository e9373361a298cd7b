// SPDX-License-Identifier: Apache-2.0
// Where a container's cgroups are on this node, from the kernel's own record of its first process
// (/proc/PID/cgroup) and the daemon's view of the cgroup file systems (/proc/self/mountinfo). The
// same for every runtime and cgroup driver: containerd, Docker and CRI-O, cgroupfs or systemd, each
// names its cgroups its own way, but the kernel lists where the process actually is.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  parseCgroupMounts,
  parseProcCgroup,
  type CgroupMount,
  type ProcCgroupLine,
} from './parseCgroupFiles.js';

/** A process's cgroups, as directories of this daemon's file system. */
export interface ResolvedCgroup {
  /** 1 on a cgroup v1 or hybrid node (controllers on v1 hierarchies), 2 on a unified node. */
  version: 1 | 2;
  /**
   * Every cgroup directory the process is in, one per hierarchy mounted here (v1: cpu, cpuacct,
   * memory, pids, cpuset…, and the unified one of a hybrid node; v2: one). Another process joins
   * the same cgroups by writing its PID to each directory's `cgroup.procs`.
   */
  dirs: string[];
  /** Where its memory is accounted: the memory hierarchy's directory (v1), or its cgroup (v2). */
  memoryDir: string;
  /** Where its CPU time is accounted: the cpuacct hierarchy's directory (v1), or its cgroup (v2). */
  cpuDir: string;
}

/** True for a v1 line of real controllers (not a named hierarchy such as `name=systemd`). */
const hasControllers = (line: ProcCgroupLine) =>
  line.id !== 0 && line.controllers.some(c => !c.startsWith('name='));

/** The mounts a line's hierarchy may be seen through. */
function mountsOf(line: ProcCgroupLine, mounts: CgroupMount[]): CgroupMount[] {
  if (line.id === 0) return mounts.filter(m => m.version === 2);
  return mounts.filter(m => m.version === 1 && line.controllers.every(c => m.controllers.includes(c)));
}

/**
 * The directory of `line`'s cgroup through one of `mounts`, or undefined when none shows it: the
 * hierarchy is not mounted here, or the path lies outside what the mount shows (a subtree mount,
 * or a path outside the daemon's cgroup namespace, which the kernel writes as `/../…`).
 */
function directoryOf(line: ProcCgroupLine, mounts: CgroupMount[]): string | undefined {
  if (line.path.split('/').includes('..')) return undefined;
  for (const mount of mountsOf(line, mounts)) {
    const root = mount.root === '/' ? '' : mount.root.replace(/\/$/, '');
    if (line.path !== root && !line.path.startsWith(`${root}/`)) continue;
    return path.posix.join(mount.mountPoint, line.path.slice(root.length) || '/');
  }
  return undefined;
}

/** The error of a cgroup the daemon cannot reach. */
function unreachable(what: string, line: ProcCgroupLine | undefined): ChaosplaneError {
  const where = line === undefined ? 'it is in none' : `it is in ${JSON.stringify(line.path)}`;
  return new ChaosplaneError(
    'unsupported',
    `the daemon cannot reach the target's ${what} cgroup (${where}): mount the host's cgroup file ` +
      `system at /sys/fs/cgroup, and run the daemon with hostPID (it then reads and joins cgroups from ` +
      `PID 1's cgroup namespace when it has one of its own)`,
  );
}

/** The directory of the line holding `controller` (v1), or of the unified line (v2); required. */
function requiredDirectory(
  lines: ProcCgroupLine[],
  mounts: CgroupMount[],
  controller: string | undefined,
): string {
  const line = lines.find(l => (controller === undefined ? l.id === 0 : l.controllers.includes(controller)));
  const dir = line === undefined ? undefined : directoryOf(line, mounts);
  if (dir === undefined) throw unreachable(controller ?? 'cgroup v2', line);
  if (line!.path === '/') {
    // Joining the root cgroup would account the stress to the whole node, not to the container.
    throw new ChaosplaneError(
      'unsupported',
      `the target is in the root ${controller ?? 'cgroup v2'} cgroup: nothing would be accounted to it alone`,
    );
  }
  return dir;
}

/**
 * Resolves a process's cgroups from its /proc/PID/cgroup text and the daemon's mountinfo.
 * @throws ChaosplaneError `unsupported` when the memory or CPU cgroup cannot be reached, or is the root
 */
export function resolveCgroup(procCgroup: string, mountinfo: string): ResolvedCgroup {
  const lines = parseProcCgroup(procCgroup);
  const mounts = parseCgroupMounts(mountinfo);
  const version = lines.some(hasControllers) ? 1 : 2;
  const memoryDir = requiredDirectory(lines, mounts, version === 1 ? 'memory' : undefined);
  const cpuDir = requiredDirectory(lines, mounts, version === 1 ? 'cpuacct' : undefined);
  // Every other hierarchy mounted here is joined too (pids, cpuset, freezer…): the process becomes
  // a member of the container in all of them; one this daemon does not see is left alone.
  const dirs = lines.flatMap(line => directoryOf(line, mounts) ?? []);
  return { version, dirs: [...new Set(dirs)], memoryDir, cpuDir };
}

/**
 * The cgroups of process `pid` on this node.
 * @throws ChaosplaneError `not-found` when the process is gone, `unsupported` as {@link resolveCgroup}
 */
export function cgroupOfProcess(pid: number): ResolvedCgroup {
  let procCgroup: string;
  try {
    procCgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch (error) {
    throw new ChaosplaneError('not-found', `process ${pid} is gone (has the container stopped?)`, {
      cause: error,
    });
  }
  return resolveCgroup(procCgroup, readFileSync('/proc/self/mountinfo', 'utf8'));
}
