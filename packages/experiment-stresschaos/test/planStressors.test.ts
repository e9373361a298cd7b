// SPDX-License-Identifier: Apache-2.0
// What the daemon plans for a request: the stress-ng commands, a percentage of the container's own
// memory limit (the node's memory without one), and the same refusals as the rules (the daemon
// does not trust its caller to have gone through them).
import { totalmem } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import type { CgroupStats, TargetContainer } from '@chaosplane/daemon/plugin';
import { ChaosplaneError } from '@chaosplane/sdk';
import { planStressors } from '../src/daemon/planStressors.js';
import type { ApplyStressRequest } from '../src/gen/chaosplane/stresschaos/v1/stresschaos.js';

function fakeContainer(stats: Partial<CgroupStats>): TargetContainer {
  const full: CgroupStats = {
    version: 1,
    memoryUsageBytes: 1 << 20,
    memoryLimitBytes: undefined,
    oomKills: 0,
    cpuUsageNanos: 0,
    ...stats,
  };
  return {
    containerId: 'containerd://c1',
    pid: 42,
    cgroup: () => Promise.resolve(full),
  } as unknown as TargetContainer;
}

const request = (more: Partial<ApplyStressRequest>): ApplyStressRequest => ({
  containerId: 'containerd://c1',
  cpu: undefined,
  memory: undefined,
  stressngStressors: '',
  ...more,
});

describe('planning a record’s stressors', () => {
  it('a percentage is of the container’s memory limit, and the accounting before is kept', async () => {
    const plan = await planStressors(
      request({ memory: { workers: 2, size: '50%', oomScoreAdj: 500, options: [] } }),
      fakeContainer({ memoryLimitBytes: 128 * 2 ** 20 }),
    );
    expect(plan.before?.memoryUsageBytes).toBe(1 << 20);
    expect(plan.stressors).toEqual([
      expect.objectContaining({ name: 'memory', bytes: 64 * 2 ** 20, oomScoreAdj: 500 }),
    ]);
    expect(plan.stressors[0]!.argv).toContain(String(32 * 2 ** 20));
  });

  it('without a limit, a percentage is of the node’s memory', async () => {
    const plan = await planStressors(
      request({ memory: { workers: 1, size: '10%', oomScoreAdj: 0, options: [] } }),
      fakeContainer({}),
    );
    expect(plan.stressors[0]!.bytes).toBe(Math.floor(totalmem() / 10));
  });

  it('cpu and stressngStressors in order, without reading the cgroup', async () => {
    const plan = await planStressors(
      request({ cpu: { workers: 1, load: 50, options: [] }, stressngStressors: '--matrix 1' }),
      fakeContainer({}),
    );
    expect(plan.before).toBeUndefined();
    expect(plan.stressors.map(s => s.name)).toEqual(['cpu', 'stressng']);
    expect(plan.stressors[0]!.argv.slice(-4)).toEqual(['--cpu', '1', '--cpu-load', '50']);
  });

  it.each([
    [request({}), 'spec', 'missing stressors'],
    [
      request({ cpu: { workers: 0, options: [] } }),
      'spec.stressors.cpu.workers',
      'workers should always be positive',
    ],
    [
      request({ cpu: { workers: 1, options: ['--log-file /etc/passwd'] } }),
      'spec.stressors.cpu.options',
      'is not admitted',
    ],
    [
      request({ memory: { workers: 1, size: '64Mi', oomScoreAdj: 0, options: [] } }),
      'spec.stressors.memory.size',
      "invalid suffix: 'mi'",
    ],
    [request({ stressngStressors: '--quiet' }), 'spec.stressngStressors', 'starts no stressor'],
  ])('refuses what the rules refuse (%#)', async (bad, field, message) => {
    const error = await planStressors(bad, fakeContainer({})).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
    expect(error).toMatchObject({ field, message: expect.stringContaining(message) as unknown });
  });
});
