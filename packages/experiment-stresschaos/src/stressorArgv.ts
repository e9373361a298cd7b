// SPDX-License-Identifier: Apache-2.0
// The stress-ng command of each stressor of a record. CPU as Chaos Mesh builds it (a 10 ms load
// slice and the sqrt method, so several workers reach a pod's CPU limit; its issue #3100), memory
// as memStress behaves (the size split over the workers, touched once and held without burning
// CPU), and stressngStressors as written. User options come last, as in Chaos Mesh: a later
// `--cpu 2` wins over the generated `--cpu 1`.
import { checkStressngArgs, splitOptions, type OptionsCheck } from './stressngOptions.js';

/** stress-ng from the daemon's image, found on the daemon's PATH: never the container's. */
export const STRESS_NG = 'stress-ng';

/** The stressors of one record, by their process names. */
export type StressorName = 'cpu' | 'memory' | 'stressng';

/** `stressors.cpu`. */
export interface CpuStress {
  workers: number;
  load?: number;
  options?: readonly string[];
}

/** `stressors.memory`, its size already in bytes. */
export interface MemoryStress {
  workers: number;
  bytes: number;
  options?: readonly string[];
}

/**
 * Options a memory stressor refuses: they are set from `workers` and `size`, or belong to
 * memStress, Chaos Mesh's own memory stressor, rather than to stress-ng.
 */
export const MEMORY_REFUSED_OPTIONS: Record<string, string> = {
  '--vm': 'is set from workers',
  '--vm-bytes': 'is set from size',
  '--vm-keep': 'is always set (the memory is held, not reallocated)',
  '--vm-hang': 'is always 0 (the memory is held until the stressor ends)',
  '--time': "is memStress's (gradual growth), which stress-ng has no equivalent of",
  '--workers': "is memStress's: use workers",
  '--size': "is memStress's: use size",
  '--client': "is memStress's",
};

// Every stressor runs until the daemon ends it (recover, the experiment's end): stress-ng's own
// default would stop it after a day. A user's --timeout, later, still wins.
const NO_TIMEOUT = ['--timeout', '0'];

/** Only the classes a memory stressor is about: its own (vm) and the general options. */
function memoryOptionsCheck(options: readonly string[]): OptionsCheck {
  const checked = checkStressngArgs(splitOptions(options), MEMORY_REFUSED_OPTIONS);
  if (!checked.ok) return checked;
  // --vm itself is refused above: any other class named here would start more workers.
  const other = checked.options.find(o => o.startsStressor);
  if (other !== undefined)
    return {
      ok: false,
      message: `stress-ng option ${other.name} starts another stressor: memory.options shape the vm workers; use cpu.options or stressngStressors`,
    };
  return checked;
}

/** The checked `options` of a stressor: argv tokens, or why they are refused. */
export function stressorOptions(
  name: 'cpu' | 'memory',
  options: readonly string[] | undefined,
): OptionsCheck {
  if (name === 'memory') return memoryOptionsCheck(options ?? []);
  return checkStressngArgs(splitOptions(options ?? []));
}

/** The checked `stressngStressors`: they must start at least one stressor. */
export function stressngArgs(stressngStressors: string): OptionsCheck {
  const checked = checkStressngArgs(splitOptions([stressngStressors]));
  if (checked.ok && !checked.options.some(o => o.startsStressor))
    return { ok: false, message: 'stressngStressors starts no stressor: name one, like --cpu 1 or --vm 1' };
  return checked;
}

/** Unwraps a check that the rules (or the daemon) already passed. */
function argsOf(checked: OptionsCheck): string[] {
  if (!checked.ok) throw new Error(checked.message);
  return checked.argv;
}

/** The CPU stressor's command. */
export function cpuArgv(cpu: CpuStress): string[] {
  return [
    STRESS_NG,
    ...NO_TIMEOUT,
    '--cpu-load-slice',
    '10',
    '--cpu-method',
    'sqrt',
    '--cpu',
    String(cpu.workers),
    ...(cpu.load !== undefined ? ['--cpu-load', String(cpu.load)] : []),
    ...argsOf(stressorOptions('cpu', cpu.options)),
  ];
}

/**
 * The memory stressor's command: `workers` vm workers holding `bytes` together, touched once and
 * kept (--vm-keep, --vm-hang 0); a worker the OOM killer ends is not restarted (--oomable), and
 * the oom_score_adj the daemon gave the process is kept (--no-oom-adjust: stress-ng would raise
 * its vm workers' to 1000).
 */
export function memoryArgv(memory: MemoryStress): string[] {
  const perWorker = Math.max(1, Math.floor(memory.bytes / memory.workers));
  return [
    STRESS_NG,
    ...NO_TIMEOUT,
    '--vm',
    String(memory.workers),
    '--vm-bytes',
    String(perWorker),
    '--vm-keep',
    '--vm-hang',
    '0',
    '--oomable',
    '--no-oom-adjust',
    ...argsOf(stressorOptions('memory', memory.options)),
  ];
}

/** The stressngStressors command: the arguments as written, checked. */
export function stressngArgv(stressngStressors: string): string[] {
  return [STRESS_NG, ...NO_TIMEOUT, ...argsOf(stressngArgs(stressngStressors))];
}
