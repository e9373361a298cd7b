// SPDX-License-Identifier: Apache-2.0
// Whether the stressors just started took hold, before the apply reports them: one that ended at
// once (stress-ng refused a value) fails the apply with its output; a memory stressor is watched
// until the container's memory has risen by its size, and if the kernel's OOM killer strikes in
// the container's cgroup meanwhile (its limit is below the size), the apply fails saying so.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupStats, ProcessEnd, StartedProcess, TargetContainer } from '@chaosplane/daemon/plugin';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { StressorPlan } from './planStressors.js';

/** A stressor this apply started. */
export interface StartedStressor {
  plan: StressorPlan;
  process: StartedProcess;
}

/** How long a stressor must keep running to count as started. */
const EXIT_WINDOW_MS = 500;
/** How long the memory stressor gets to allocate its size before the apply reports it anyway. */
const MEMORY_SETTLE_MS = 10_000;
/** The share of its size the container's memory must have risen by. */
const MEMORY_SETTLED_SHARE = 0.9;
const POLL_MS = 100;

/** Bytes as people read them: `64.0 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The failure of a memory stressor the OOM killer ended. */
async function oomError(
  container: TargetContainer,
  stillRunning: () => Promise<boolean>,
  bytes: number,
  before: CgroupStats,
): Promise<ChaosplaneError> {
  const limit =
    before.memoryLimitBytes === undefined ? 'no limit' : `a limit of ${formatBytes(before.memoryLimitBytes)}`;
  const spared = (await stillRunning())
    ? "the container's own processes were spared"
    : "the container's own process was killed too";
  return new ChaosplaneError(
    'command',
    `the memory stressor was OOM-killed in the container's memory cgroup: ${formatBytes(bytes)} do not fit ` +
      `(the container has ${limit}, ${formatBytes(before.memoryUsageBytes)} in use before the stressor); ${spared} ` +
      `(container ${container.containerId})`,
  );
}

/** The failure of a stressor that ended at once. */
function endedError(name: string, end: ProcessEnd): ChaosplaneError {
  const how = end.exitCode !== null ? `exit ${end.exitCode}` : `signal ${end.signal ?? 'unknown'}`;
  return new ChaosplaneError(
    'command',
    `the ${name} stressor ended at once (${how}): ${end.output.trim().slice(-600) || 'no output'}`,
  );
}

/**
 * Waits until the stressors `started` took hold; throws a `command` ChaosplaneError when one
 * ended or was OOM-killed. `stillRunning` tells whether the container's first process lives.
 */
export async function settleStressors(
  container: TargetContainer,
  started: readonly StartedStressor[],
  before: CgroupStats | undefined,
  stillRunning: () => Promise<boolean>,
): Promise<void> {
  const ended = new Map<string, ProcessEnd>();
  for (const { plan, process } of started) void process.ended.then(end => ended.set(plan.name, end));
  const memory = started.find(s => s.plan.name === 'memory')?.plan;
  const from = Date.now();
  const read = () => (memory !== undefined && before !== undefined ? container.cgroup() : undefined);
  for (;;) {
    await sleep(POLL_MS);
    const [gone] = ended.entries();
    // Read after looking for ended stressors: an OOM kill is counted before its process is reaped.
    const now = await read();
    if (now !== undefined && now.oomKills > before!.oomKills)
      throw await oomError(container, stillRunning, memory!.bytes!, before!);
    if (gone !== undefined) throw endedError(...gone);
    const elapsed = Date.now() - from;
    if (elapsed < EXIT_WINDOW_MS) continue;
    if (now === undefined || elapsed >= MEMORY_SETTLE_MS) return;
    if (now.memoryUsageBytes - before!.memoryUsageBytes >= MEMORY_SETTLED_SHARE * memory!.bytes!) return;
  }
}
