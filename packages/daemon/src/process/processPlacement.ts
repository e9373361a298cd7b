// SPDX-License-Identifier: Apache-2.0
// Where a managed process is accounted, settled before its program runs: a fixed prologue (POSIX
// sh, never built from input: every value reaches it as a positional parameter) sets the process's
// own oom_score_adj, writes its own PID into each cgroup's `cgroup.procs`, reports on fd 3 and
// execs the command. The command (nsenter, then the program) starts in those cgroups: nothing it
// allocates or burns is ever charged to the daemon, and nothing races the placement.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ChaosplaneError } from '@chaosplane/sdk';
import { effectiveCapabilities } from './capabilities.js';

/** Where a managed process is accounted. */
export interface ProcessPlacement {
  /** Cgroup directories the process joins (a container's: `cgroupOfProcess(pid).dirs`). */
  cgroupDirs: readonly string[];
  /** Its oom_score_adj, -1000 to 1000; inherited by everything it starts. */
  oomScoreAdj?: number;
  /**
   * A cgroup namespace to enter first (`/proc/PID/ns/cgroup`): the node's, for a daemon in one
   * of its own, which may not move a process into a cgroup outside it (see `CgroupView`).
   */
  cgroupNamespace?: string;
}

/** The shell the prologue runs in (a fixed path: PATH plays no part). */
export const PLACEMENT_SHELL = '/bin/sh';
/** What fd 3 reads once the process is placed. */
const PLACED = 'placed';

/** The prologue: `$1` the oom_score_adj (or empty), then cgroup.procs files up to `--`, then argv. */
export const PLACEMENT_SCRIPT = [
  'adj=$1; shift',
  'if [ -n "$adj" ]; then',
  '  echo "$adj" >/proc/self/oom_score_adj || { echo "chaosplane: cannot set oom_score_adj to $adj" >&2; exit 125; }',
  'fi',
  'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do',
  '  echo $$ >"$1" || { echo "chaosplane: cannot join the cgroup of $1" >&2; exit 126; }',
  '  shift',
  'done',
  'shift',
  `echo ${PLACED} >&3 && exec 3>&-`,
  'exec "$@"',
].join('\n');

/**
 * Refuses an oom_score_adj the kernel would refuse: a process may raise its own, but lowering it
 * below what it inherited from the daemon needs CAP_SYS_RESOURCE.
 * @throws ChaosplaneError `invalid` outside -1000…1000, `unsupported` when the daemon cannot lower it
 */
export function checkOomScoreAdj(value: number): void {
  if (!(Number.isInteger(value) && Math.abs(value) <= 1000)) {
    throw new ChaosplaneError('invalid', `oomScoreAdj ${value} must be an integer from -1000 to 1000`, {
      field: 'oomScoreAdj',
    });
  }
  const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  if (value >= own || effectiveCapabilities().has('SYS_RESOURCE')) return;
  throw new ChaosplaneError(
    'unsupported',
    `oomScoreAdj ${value} is below the daemon's own oom_score_adj (${own}): lowering it needs ` +
      'CAP_SYS_RESOURCE, which this daemon does not have (add SYS_RESOURCE to its capabilities)',
    { field: 'oomScoreAdj' },
  );
}

/**
 * The argv that places itself as `placement` says, then execs `argv`; `nsenter` enters the
 * placement's cgroup namespace, if it has one (nsenter then execs the prologue: the same PID).
 */
export function placementArgv(
  placement: ProcessPlacement,
  argv: readonly string[],
  nsenter = 'nsenter',
): string[] {
  const { oomScoreAdj, cgroupDirs, cgroupNamespace } = placement;
  if (oomScoreAdj !== undefined) checkOomScoreAdj(oomScoreAdj);
  for (const dir of cgroupDirs) {
    if (!dir.startsWith('/') || dir.split('/').includes('..'))
      throw new ChaosplaneError(
        'invalid',
        `cgroup directory ${JSON.stringify(dir)} must be an absolute path`,
        {
          field: 'cgroupDirs',
        },
      );
  }
  return [
    ...(cgroupNamespace !== undefined ? [nsenter, `--cgroup=${cgroupNamespace}`, '--'] : []),
    PLACEMENT_SHELL,
    '-c',
    PLACEMENT_SCRIPT,
    'chaosplane-placement',
    oomScoreAdj === undefined ? '' : String(oomScoreAdj),
    ...cgroupDirs.map(dir => `${dir.replace(/\/$/, '')}/cgroup.procs`),
    '--',
    ...argv,
  ];
}

/**
 * Resolves true once the prologue reports on `report` (fd 3) that the process is placed, false
 * when fd 3 closes without it (the prologue failed and exited: its output says why) or after
 * `timeoutMs`.
 */
export function waitForPlacement(report: Readable, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    let text = '';
    const done = (placed: boolean) => {
      clearTimeout(timer);
      report.removeAllListeners();
      report.destroy();
      resolve(placed);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    report.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes(PLACED)) done(true);
    });
    report.on('error', () => done(false));
    report.on('close', () => done(text.includes(PLACED)));
  });
}
