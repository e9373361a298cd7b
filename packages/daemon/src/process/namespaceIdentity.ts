// SPDX-License-Identifier: Apache-2.0
import { readdirSync, readlinkSync } from 'node:fs';

import type { NamespaceName } from './namespaces.js';
import { readProcStat } from './procStat.js';

/**
 * The identity of each namespace a change entered: the `/proc/PID/ns/<name>` link text, for
 * example `{ net: 'net:[4026532281]' }`. The kernel gives every live namespace a unique inode on
 * the nsfs device, so two processes whose links read the same are in the same namespace.
 */
export type NamespaceIds = Partial<Record<NamespaceName, string>>;

// PF_KTHREAD in the flags of /proc/PID/stat (field 9): kernel threads are never entered.
const PF_KTHREAD = 0x00200000;

/**
 * Reads the identities of `namespaces` of `pid`; undefined when the process is gone (or
 * any link cannot be read, which means the same: it is exiting).
 */
export function readNamespaceIds(
  pid: number,
  namespaces: readonly NamespaceName[],
): NamespaceIds | undefined {
  const ids: NamespaceIds = {};
  try {
    for (const name of namespaces) ids[name] = readlinkSync(`/proc/${pid}/ns/${name}`);
  } catch {
    return undefined;
  }
  return ids;
}

/** True when every namespace named in `ids` of `pid` is the recorded one. */
export function isInNamespaces(pid: number, ids: NamespaceIds): boolean {
  const names = Object.keys(ids) as NamespaceName[];
  const current = readNamespaceIds(pid, names);
  return current !== undefined && names.every(name => current[name] === ids[name]);
}

/**
 * A live user-space process whose namespaces are all the recorded ones, with its start time (so
 * the caller can check it is still the same process right before entering it), or undefined when
 * no process holds them any more: then the namespaces, and anything changed in them, are gone.
 *
 * One pass over /proc, stopping at the first match. A process that exits during the scan fails a
 * read and is skipped; zombies and kernel threads are skipped too (nothing can be entered
 * through them).
 */
export function findNamespaceHolder(ids: NamespaceIds): { pid: number; startTime: string } | undefined {
  if (Object.keys(ids).length === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!isInNamespaces(pid, ids)) continue;
    const startTime = liveUserProcessStartTime(pid);
    if (startTime !== undefined) return { pid, startTime };
  }
  return undefined;
}

function liveUserProcessStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  if ((stat.flags & PF_KTHREAD) !== 0) return undefined;
  return stat.startTime;
}
