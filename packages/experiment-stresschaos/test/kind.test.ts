// SPDX-License-Identifier: Apache-2.0
// The StressChaos kind: Chaos Mesh's spec, its webhook's checks with its messages (JSON field
// paths), and beyond it what it admits but cannot work, each refused naming the field.
import { describe, expect, it } from '@jest/globals';
import { validateChaosObject } from '@chaosplane/engine';
import { type ChaosObject } from '@chaosplane/sdk';
import plugin, { WORKERS_NOT_POSITIVE, type StressChaosSpec } from '@chaosplane/experiment-stresschaos';

const kind = plugin.kind;

function obj(spec: Record<string, unknown>): ChaosObject<StressChaosSpec> {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'StressChaos',
    metadata: { name: 's', namespace: 'default' },
    spec: { selector: { namespaces: ['default'] }, mode: 'one', ...spec } as StressChaosSpec,
  };
}

const violations = (spec: Record<string, unknown>) => validateChaosObject(kind, obj(spec));
const memory = (size: string | undefined, more: Record<string, unknown> = {}) =>
  violations({ stressors: { memory: { workers: 1, ...(size !== undefined ? { size } : {}), ...more } } });

describe('StressChaos kind', () => {
  it('is chaos-mesh.org/v1alpha1 StressChaos, plural stresschaos, one record per selected container', () => {
    expect(kind.apiVersion).toBe('chaos-mesh.org/v1alpha1');
    expect(kind.kind).toBe('StressChaos');
    expect(kind.plural).toBe('stresschaos');
    expect(kind.isOneShot(obj({ stressors: { cpu: { workers: 1 } } }))).toBe(false);
    const ref = kind.selectors(obj({ containerNames: ['app'], stressors: { cpu: { workers: 1 } } }))['.']!;
    expect(ref).toMatchObject({ kind: 'container', spec: { containerNames: ['app'], mode: 'one' } });
    expect(kind.duration(obj({ duration: '30s', stressors: { cpu: { workers: 1 } } }))).toBe('30s');
  });

  it('accepts Chaos Mesh’s stressors: cpu with load and options, memory with a size and oomScoreAdj, both', () => {
    expect(
      violations({ stressors: { cpu: { workers: 2, load: 50, options: ['--cpu-method sqrt'] } } }),
    ).toEqual([]);
    expect(memory('256MB', { oomScoreAdj: -1000 })).toEqual([]);
    expect(violations({ stressors: { cpu: { workers: 1 }, memory: { workers: 2, size: '25%' } } })).toEqual(
      [],
    );
    expect(violations({ stressngStressors: '--cpu 1 --vm 1 --vm-bytes 16M' })).toEqual([]);
  });

  it('says "missing stressors" where Chaos Mesh does: the spec, or an empty stressors', () => {
    expect(violations({})).toEqual([{ field: 'spec', message: 'missing stressors' }]);
    expect(violations({ stressngStressors: '' })).toEqual([{ field: 'spec', message: 'missing stressors' }]);
    expect(violations({ stressors: {} })).toEqual([
      { field: 'spec.stressors', message: 'missing stressors' },
    ]);
  });

  it.each([
    ['1%', []],
    ['100KB', []],
    ['100B', []],
    ['64MiB', []],
    ['64 MB', []],
    ['1.5GB', []],
    ['-1', ["incorrect bytes format: invalid size: '-1'"]],
    ['-1%', ['incorrect bytes format: illegal proportion']],
    ['101%', ['incorrect bytes format: illegal proportion']],
    ['x%', ['incorrect bytes format: strconv.Atoi: parsing "x": invalid syntax']],
    ['12.5%', ['incorrect bytes format: strconv.Atoi: parsing "12.5": invalid syntax']],
    ['-1Kb', ["incorrect bytes format: invalid size: '-1Kb'"]],
    ['64Mi', ["incorrect bytes format: invalid suffix: 'mi'"]],
    ['10GBs', ["incorrect bytes format: invalid suffix: 'gbs'"]],
    ['1 TiBs', ["incorrect bytes format: invalid suffix: 'TiBs'"]],
    ['1.5.5GB', ['incorrect bytes format: strconv.ParseFloat: parsing "1.5.5": invalid syntax']],
    ['GB', ["incorrect bytes format: invalid size: 'GB'"]],
  ])('size %j: Chaos Mesh’s webhook verdict %j', (size, messages) => {
    expect(memory(size)).toEqual(messages.map(message => ({ field: 'spec.stressors.memory.size', message })));
  });

  it('refuses, beyond Chaos Mesh, a memory stressor without a size or of size 0 (memStress allocates nothing)', () => {
    expect(memory(undefined)).toEqual([
      { field: 'spec.stressors.memory.size', message: expect.stringContaining('Required value') as unknown },
    ]);
    for (const size of ['0', '0%', '0MB'])
      expect(memory(size)).toEqual([
        {
          field: 'spec.stressors.memory.size',
          message: `a size of "${size}" allocates nothing: nothing would be stressed`,
        },
      ]);
  });

  it('refuses workers ≤ 0 with Chaos Mesh’s own (never wired) message; above 8192 by the schema', () => {
    expect(violations({ stressors: { cpu: { workers: 0 }, memory: { workers: -1, size: '1MB' } } })).toEqual([
      { field: 'spec.stressors.cpu.workers', message: WORKERS_NOT_POSITIVE },
      { field: 'spec.stressors.memory.workers', message: WORKERS_NOT_POSITIVE },
    ]);
    expect(violations({ stressors: { cpu: { workers: 8193 } } }).map(v => v.field)).toEqual([
      'spec.stressors.cpu.workers',
    ]);
  });

  it('keeps load to 0–100 and oomScoreAdj to -1000–1000 (the CRD’s bounds)', () => {
    expect(violations({ stressors: { cpu: { workers: 1, load: 101 } } }).map(v => v.field)).toEqual([
      'spec.stressors.cpu.load',
    ]);
    expect(memory('1MB', { oomScoreAdj: -1001 }).map(v => v.field)).toEqual([
      'spec.stressors.memory.oomScoreAdj',
    ]);
  });

  it('refuses stressors beside stressngStressors: Chaos Mesh documents that one wins, and ignores it', () => {
    expect(violations({ stressors: { cpu: { workers: 1 } }, stressngStressors: '--cpu 1' })).toEqual([
      {
        field: 'spec.stressngStressors',
        message: expect.stringContaining('set either stressors or stressngStressors') as unknown,
      },
    ]);
  });

  it('refuses stress-ng options that reach beyond the container, naming them', () => {
    const [logFile] = violations({ stressors: { cpu: { workers: 1, options: ['--log-file /etc/passwd'] } } });
    expect(logFile).toEqual({
      field: 'spec.stressors.cpu.options',
      message: expect.stringContaining('stress-ng option "--log-file" is not admitted') as unknown,
    });
    expect(violations({ stressngStressors: '--cpu 1 --temp-path=/etc' })[0]!.message).toContain(
      '"--temp-path=/etc"',
    );
    expect(violations({ stressngStressors: '--cpu 1 --sched fifo' })[0]!.message).toContain('"--sched"');
    expect(violations({ stressors: { cpu: { workers: 1, options: ['2'] } } })[0]!.message).toBe(
      '"2" is not a stress-ng option, nor the value of one',
    );
  });

  it('refuses memStress’s flags and what size and workers set in memory options, saying why', () => {
    expect(memory('1MB', { options: ['--time 10s'] })[0]!.message).toBe(
      "stress-ng option --time is memStress's (gradual growth), which stress-ng has no equivalent of",
    );
    expect(memory('1MB', { options: ['--vm-bytes 1G'] })[0]!.message).toBe(
      'stress-ng option --vm-bytes is set from size',
    );
    expect(memory('1MB', { options: ['--cpu 4'] })[0]!.message).toContain('starts another stressor');
    expect(memory('1MB', { options: ['--vm-method write64', '--timeout 60'] })).toEqual([]);
  });

  it('requires stressngStressors to start a stressor', () => {
    expect(violations({ stressngStressors: '--timeout 10' })).toEqual([
      {
        field: 'spec.stressngStressors',
        message: 'stressngStressors starts no stressor: name one, like --cpu 1 or --vm 1',
      },
    ]);
  });

  it('refuses remoteCluster and a bad duration with Chaos Mesh’s message', () => {
    expect(violations({ stressors: { cpu: { workers: 1 } }, remoteCluster: 'east' })).toEqual([
      { field: 'spec.remoteCluster', message: 'remote clusters are not supported by Chaosplane: remove it' },
    ]);
    expect(violations({ stressors: { cpu: { workers: 1 } }, duration: '30' })).toEqual([
      { field: 'spec.duration', message: 'parse duration field error: time: missing unit in duration "30"' },
    ]);
  });
});
