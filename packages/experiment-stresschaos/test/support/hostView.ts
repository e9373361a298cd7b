// SPDX-License-Identifier: Apache-2.0
// What the tests read straight from the host, independently of the daemon: a container's cgroup
// directories and their accounting (cgroup v1 or v2), and the stress-ng processes on the host.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** A container's accounting directories. */
export interface ContainerCgroup {
  version: 1 | 2;
  /** v1: the cpuacct directory; v2: the cgroup. */
  cpu: string;
  /** v1: the memory directory; v2: the cgroup. */
  memory: string;
}

/** The cgroups of process `pid`, on this host's standard mounts (/sys/fs/cgroup). */
export function cgroupOf(pid: number): ContainerCgroup {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const pathOf = (controller: string) =>
    lines
      .map(line => line.split(':'))
      .find(([, controllers]) => controllers!.split(',').includes(controller))?.[2];
  const cpuacct = pathOf('cpuacct');
  const memory = pathOf('memory');
  if (cpuacct !== undefined && memory !== undefined) {
    const mountOf = (controller: string) =>
      readdirSync('/sys/fs/cgroup').find(entry => entry.split(',').includes(controller))!;
    return {
      version: 1,
      cpu: path.join('/sys/fs/cgroup', mountOf('cpuacct'), cpuacct),
      memory: path.join('/sys/fs/cgroup', mountOf('memory'), memory),
    };
  }
  const unified = lines.find(line => line.startsWith('0::'))!.slice(3);
  const dir = path.join('/sys/fs/cgroup', unified);
  return { version: 2, cpu: dir, memory: dir };
}

/** CPU time the cgroup has used, in nanoseconds. */
export function cpuNanos(cgroup: ContainerCgroup): number {
  if (cgroup.version === 1) return Number(readFileSync(path.join(cgroup.cpu, 'cpuacct.usage'), 'utf8'));
  const stat = readFileSync(path.join(cgroup.cpu, 'cpu.stat'), 'utf8');
  return Number(/^usage_usec (\d+)$/m.exec(stat)![1]) * 1000;
}

/**
 * The cgroup's anonymous memory in bytes (v1 `rss`, v2 `anon` of memory.stat): what a memory
 * stressor allocates, without the page cache a cgroup is charged for the files its processes
 * read first (stress-ng's own binary, on a machine where nothing ran it before), which stays
 * after they exit.
 */
export function memoryBytes(cgroup: ContainerCgroup): number {
  const key = cgroup.version === 1 ? 'rss' : 'anon';
  const stat = readFileSync(path.join(cgroup.memory, 'memory.stat'), 'utf8');
  const line = stat.split('\n').find(l => l.startsWith(`${key} `));
  if (line === undefined) throw new Error(`${cgroup.memory}/memory.stat has no ${key}`);
  return Number(line.slice(key.length + 1));
}

/** The cgroup's memory limit as the kernel holds it (v1: a huge number when unlimited). */
export function memoryLimit(cgroup: ContainerCgroup): string {
  return readFileSync(
    path.join(cgroup.memory, cgroup.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'),
    'utf8',
  ).trim();
}

/** Cores the cgroup used on average over `ms` (1 = one core busy all the time). */
export async function coresUsed(cgroup: ContainerCgroup, ms: number): Promise<number> {
  const cpu0 = cpuNanos(cgroup);
  const t0 = process.hrtime.bigint();
  await new Promise(resolve => setTimeout(resolve, ms));
  const cpu1 = cpuNanos(cgroup);
  const t1 = process.hrtime.bigint();
  return (cpu1 - cpu0) / Number(t1 - t0);
}

/** A stress-ng process on the host. */
export interface StressNgProcess {
  pid: number;
  uid: number;
  /** Its /proc/PID/cgroup. */
  cgroup: string;
  /** Its pid namespace (`pid:[4026532…]`). */
  pidNamespace: string;
  /** oom_score_adj. */
  oomScoreAdj: number;
}

/** The environment entry every process a Chaosplane daemon starts carries (its managed-process uid). */
const DAEMON_MARKER = Buffer.from('\0CHAOSPLANE_PROCESS_UID=');

/**
 * Every live stress-ng process on the host that a Chaosplane daemon started: its command name
 * starts with stress-ng, and it carries the daemon's marker in its environment or runs as nobody
 * (stress-ng writes its workers' titles over their environment, and the daemon runs stressors as
 * nobody). Other work on this shared machine runs stress-ng of its own, as root, which is none of
 * these tests' business.
 */
export function stressNgProcesses(): StressNgProcess[] {
  const found: StressNgProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (!comm.startsWith('stress-ng') || state === 'Z') continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]);
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`)]);
      if (uid !== 65534 && !environ.includes(DAEMON_MARKER)) continue;
      found.push({
        pid: Number(entry),
        uid,
        cgroup: readFileSync(`/proc/${entry}/cgroup`, 'utf8'),
        pidNamespace: readlinkSync(`/proc/${entry}/ns/pid`),
        oomScoreAdj: Number(readFileSync(`/proc/${entry}/oom_score_adj`, 'utf8')),
      });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** True while process `pid` lives (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The CPU time (user + system) process `pid` has used, in clock ticks. */
export function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
