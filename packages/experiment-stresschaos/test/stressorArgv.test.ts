// SPDX-License-Identifier: Apache-2.0
// The stress-ng command of each stressor, argument by argument.
import { describe, expect, it } from '@jest/globals';
import { cpuArgv, memoryArgv, stressngArgv } from '@chaosplane/experiment-stresschaos';

describe('stress-ng commands', () => {
  it('cpu: Chaos Mesh’s load slice and method, the workers and load, then the options split on whitespace', () => {
    // burn-cpu.yaml: the later --cpu 2 wins over --cpu 1, as in Chaos Mesh.
    expect(cpuArgv({ workers: 1, load: 100, options: ['--cpu 2', '--timeout 600', '--hdd 1'] })).toEqual([
      'stress-ng',
      '--timeout',
      '0',
      '--cpu-load-slice',
      '10',
      '--cpu-method',
      'sqrt',
      '--cpu',
      '1',
      '--cpu-load',
      '100',
      '--cpu',
      '2',
      '--timeout',
      '600',
      '--hdd',
      '1',
    ]);
    expect(cpuArgv({ workers: 2 })).toEqual([
      'stress-ng',
      '--timeout',
      '0',
      '--cpu-load-slice',
      '10',
      '--cpu-method',
      'sqrt',
      '--cpu',
      '2',
    ]);
  });

  it('memory: the size split over the workers, held without re-dirtying, not restarted after an OOM kill', () => {
    expect(memoryArgv({ workers: 2, bytes: 64 * 2 ** 20, options: ['--vm-method write64'] })).toEqual([
      'stress-ng',
      '--timeout',
      '0',
      '--vm',
      '2',
      '--vm-bytes',
      String(32 * 2 ** 20),
      '--vm-keep',
      '--vm-hang',
      '0',
      '--oomable',
      '--no-oom-adjust',
      '--vm-method',
      'write64',
    ]);
  });

  it('stressngStressors: the arguments as written; never a shell string', () => {
    expect(stressngArgv('--cpu 2  --cpu-load 30 --matrix 1')).toEqual([
      'stress-ng',
      '--timeout',
      '0',
      '--cpu',
      '2',
      '--cpu-load',
      '30',
      '--matrix',
      '1',
    ]);
    expect(stressngArgv('--cpu 1 --cpu-method $(reboot)')).toContain('$(reboot)');
  });

  it('throws on options the rules refuse (the daemon checks again)', () => {
    expect(() => cpuArgv({ workers: 1, options: ['--job /etc/shadow'] })).toThrow(/--job/);
    expect(() => stressngArgv('--timeout 5')).toThrow(/starts no stressor/);
  });
});
