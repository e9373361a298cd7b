// SPDX-License-Identifier: Apache-2.0
// What the kernel accounts to a cgroup: memory used and allowed, OOM kills, CPU time; from the v1
// controllers' files or the unified hierarchy's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedCgroup } from './resolveCgroup.js';

/** A container's cgroup accounting, read at one moment. */
export interface CgroupStats {
  /** 1 on a cgroup v1 (or hybrid) node, 2 on a unified one. */
  version: 1 | 2;
  /** Memory charged to it now, page cache included (v1 `memory.usage_in_bytes`, v2 `memory.current`). */
  memoryUsageBytes: number;
  /** Its memory limit; undefined when it has none. */
  memoryLimitBytes: number | undefined;
  /** Processes the kernel's OOM killer has killed in it so far. */
  oomKills: number;
  /** CPU time its processes have used so far, in nanoseconds. */
  cpuUsageNanos: number;
}

// v1 writes "no limit" as the largest page-aligned counter (0x7FFFFFFFFFFFF000 on 4 KiB pages).
const V1_UNLIMITED = 2 ** 62;

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8').trim();

/** The value of `key` in a flat-keyed file (`oom_kill 3`); 0 when absent (an older kernel). */
function keyed(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Reads the accounting of a resolved cgroup. */
export function readCgroupStats(cgroup: ResolvedCgroup): CgroupStats {
  const { memoryDir, cpuDir } = cgroup;
  if (cgroup.version === 1) {
    const limit = Number(read(memoryDir, 'memory.limit_in_bytes'));
    return {
      version: 1,
      memoryUsageBytes: Number(read(memoryDir, 'memory.usage_in_bytes')),
      memoryLimitBytes: limit >= V1_UNLIMITED ? undefined : limit,
      oomKills: keyed(read(memoryDir, 'memory.oom_control'), 'oom_kill'),
      cpuUsageNanos: Number(read(cpuDir, 'cpuacct.usage')),
    };
  }
  const max = read(memoryDir, 'memory.max');
  return {
    version: 2,
    memoryUsageBytes: Number(read(memoryDir, 'memory.current')),
    memoryLimitBytes: max === 'max' ? undefined : Number(max),
    oomKills: keyed(read(memoryDir, 'memory.events'), 'oom_kill'),
    cpuUsageNanos: keyed(read(cpuDir, 'cpu.stat'), 'usage_usec') * 1000,
  };
}
