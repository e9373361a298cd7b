// SPDX-License-Identifier: Apache-2.0
// What a record's apply starts: one stress-ng command per stressor of the request, checked again
// here (any holder of an allowed client certificate can call), with the memory size turned into
// bytes against the container's memory limit.
import { totalmem } from 'node:os';
import type { CgroupStats, TargetContainer } from '@chaosplane/daemon/plugin';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { ApplyStressRequest } from '../gen/chaosplane/stresschaos/v1/stresschaos.js';
import { WORKERS_NOT_POSITIVE } from '../rules.js';
import { checkMemorySize, sizeInBytes } from '../size.js';
import {
  cpuArgv,
  memoryArgv,
  stressngArgs,
  stressngArgv,
  stressorOptions,
  type StressorName,
} from '../stressorArgv.js';

/** One stressor to start. */
export interface StressorPlan {
  name: StressorName;
  argv: string[];
  /** memory: its oom_score_adj. */
  oomScoreAdj?: number;
  /** memory: the bytes its workers hold together. */
  bytes?: number;
}

/** The stressors of a request, and the container's accounting before any of them started. */
export interface StressPlan {
  stressors: StressorPlan[];
  /** Read when there is a memory stressor: its rise, and OOM kills, are measured against it. */
  before: CgroupStats | undefined;
}

const invalid = (field: string, message: string) => new ChaosplaneError('invalid', message, { field });

/** Refuses what the spec's rules refuse, in case the request did not come through them. */
function checkRequest(request: ApplyStressRequest): void {
  const { cpu, memory, stressngStressors } = request;
  if (cpu === undefined && memory === undefined && stressngStressors === '')
    throw invalid('spec', 'missing stressors');
  for (const [name, stressor] of [
    ['cpu', cpu],
    ['memory', memory],
  ] as const) {
    if (stressor === undefined) continue;
    if (!(stressor.workers > 0)) throw invalid(`spec.stressors.${name}.workers`, WORKERS_NOT_POSITIVE);
    const checked = stressorOptions(name, stressor.options);
    if (!checked.ok) throw invalid(`spec.stressors.${name}.options`, checked.message);
  }
  if (stressngStressors !== '') {
    const checked = stressngArgs(stressngStressors);
    if (!checked.ok) throw invalid('spec.stressngStressors', checked.message);
  }
}

/** The memory stressor: its size in bytes of this container (a percentage of its limit, or of the node's memory). */
function memoryPlan(memory: NonNullable<ApplyStressRequest['memory']>, before: CgroupStats): StressorPlan {
  const checked = checkMemorySize(memory.size);
  if (!checked.ok) throw invalid('spec.stressors.memory.size', checked.message);
  const bytes = sizeInBytes(checked.size, before.memoryLimitBytes ?? totalmem());
  return {
    name: 'memory',
    argv: memoryArgv({ workers: memory.workers, bytes, options: memory.options }),
    oomScoreAdj: memory.oomScoreAdj,
    bytes,
  };
}

/** Plans a request's stressors on `container`. */
export async function planStressors(
  request: ApplyStressRequest,
  container: TargetContainer,
): Promise<StressPlan> {
  checkRequest(request);
  const { cpu, memory, stressngStressors } = request;
  const stressors: StressorPlan[] = [];
  if (cpu !== undefined)
    stressors.push({
      name: 'cpu',
      argv: cpuArgv({
        workers: cpu.workers,
        ...(cpu.load !== undefined ? { load: cpu.load } : {}),
        options: cpu.options,
      }),
    });
  const before = memory !== undefined ? await container.cgroup() : undefined;
  if (memory !== undefined) stressors.push(memoryPlan(memory, before!));
  if (stressngStressors !== '') stressors.push({ name: 'stressng', argv: stressngArgv(stressngStressors) });
  return { stressors, before };
}
