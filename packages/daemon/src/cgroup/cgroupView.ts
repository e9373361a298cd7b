// SPDX-License-Identifier: Apache-2.0
// Where the daemon reads and joins containers' cgroups from. The paths of /proc/PID/cgroup are
// relative to the reader's cgroup namespace, and the kernel lets a process move into a cgroup
// only within its own namespace. A daemon that Kubernetes put in a cgroup namespace of its own
// (every container gets one on cgroup v2 nodes) sees its targets' cgroups as `/../…` and may not
// join them; so it reads them, and its placed processes join them, from the node's namespace
// (that of PID 1, which the DaemonSet sees with hostPID), entered with nsenter.
import { existsSync, readlinkSync } from 'node:fs';
import { ChaosplaneError } from '@chaosplane/sdk';
import { DEFAULT_PATH } from '../process/managerContext.js';
import { runCommand } from '../process/runCommand.js';
import { cgroupOfProcess, resolveCgroup, type ResolvedCgroup } from './resolveCgroup.js';

/** How this daemon reaches containers' cgroups. */
export interface CgroupView {
  /**
   * The node's cgroup namespace (`/proc/<node pid>/ns/cgroup`) when the daemon runs in another
   * one; undefined when it is in the node's (or cannot tell, and works from its own).
   */
  readonly namespace: string | undefined;
  /**
   * The cgroups of process `pid`, read from the node's namespace.
   * @throws ChaosplaneError `not-found` when the process is gone, `unsupported` as `resolveCgroup`
   */
  of(pid: number): Promise<ResolvedCgroup>;
}

function cgroupNamespaceOf(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/cgroup`);
  } catch {
    return undefined;
  }
}

/**
 * The cgroup view of a daemon whose node is seen through process `nodePid` (PID 1 with hostPID;
 * tests give a process of their own), entering namespaces with `nsenter`.
 */
export function createCgroupView(nodePid: number, nsenter: string): CgroupView {
  const own = cgroupNamespaceOf('self');
  const node = cgroupNamespaceOf(nodePid);
  const namespace =
    own !== undefined && node !== undefined && own !== node ? `/proc/${nodePid}/ns/cgroup` : undefined;
  if (namespace === undefined) return { namespace, of: pid => Promise.resolve(cgroupOfProcess(pid)) };
  const read = async (file: string): Promise<string | Error> => {
    // Only the cgroup namespace is entered: the file system (and cat) stay the daemon's.
    try {
      const result = await runCommand([nsenter, `--cgroup=${namespace}`, '--', 'cat', file], {
        env: { PATH: DEFAULT_PATH },
        timeoutMs: 10_000,
      });
      return result.exitCode === 0
        ? result.stdout
        : new Error(result.stderr.trim() || `exit ${result.exitCode}`);
    } catch (error) {
      // nsenter could not be started: the daemon's failing, not the target's absence.
      return error instanceof Error ? error : new Error(String(error));
    }
  };
  return {
    namespace,
    async of(pid) {
      if (!Number.isInteger(pid) || pid <= 0)
        throw new ChaosplaneError('invalid', `pid ${pid} must be a positive integer`, { field: 'pid' });
      const procCgroup = await read(`/proc/${pid}/cgroup`);
      if (procCgroup instanceof Error && !existsSync(`/proc/${pid}`)) {
        throw new ChaosplaneError('not-found', `process ${pid} is gone (has the container stopped?)`, {
          cause: procCgroup,
        });
      }
      const mountinfo = typeof procCgroup === 'string' ? await read('/proc/self/mountinfo') : procCgroup;
      if (typeof procCgroup !== 'string' || typeof mountinfo !== 'string') {
        const failed = typeof procCgroup !== 'string' ? procCgroup : (mountinfo as Error);
        throw new ChaosplaneError(
          'unsupported',
          `the daemon cannot read cgroups from the node's cgroup namespace ${namespace}: ${failed.message}`,
          { cause: failed },
        );
      }
      return resolveCgroup(procCgroup, mountinfo);
    },
  };
}
