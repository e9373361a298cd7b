// SPDX-License-Identifier: Apache-2.0
// StressChaos's controller: per record (a container), the spec's stressors are sent to the daemon
// on the container's node, which starts them in the container's cgroups; recover stops them.
import { PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosImpl, type ContainerTarget } from '@chaosplane/sdk';
import { StressChaosDaemonDefinition } from './gen/chaosplane/stresschaos/v1/stresschaos.js';
import type { StressChaosSpec } from './kind.js';
import { formatBytes } from './daemon/settleStressors.js';

/** The request's stressors, from the spec (the daemon checks them again). */
function stressorsOf(spec: StressChaosSpec) {
  const { cpu, memory } = spec.stressors ?? {};
  return {
    ...(cpu ? { cpu: { workers: cpu.workers, load: cpu.load, options: cpu.options ?? [] } } : {}),
    ...(memory
      ? {
          memory: {
            workers: memory.workers,
            size: memory.size ?? '',
            oomScoreAdj: memory.oomScoreAdj ?? 0,
            options: memory.options ?? [],
          },
        }
      : {}),
    stressngStressors: spec.stressngStressors ?? '',
  };
}

/** Builds the StressChaos implementation. */
export function createStressChaosImpl(): ChaosImpl<StressChaosSpec, ContainerTarget> {
  return {
    async apply(ctx) {
      const { target } = ctx;
      const { stressors } = await ctx
        .daemon(StressChaosDaemonDefinition)
        .applyStress({ containerId: target.containerId, ...stressorsOf(ctx.obj.spec) });
      const started = stressors.filter(s => s.started);
      if (started.length > 0) {
        const summary = started
          .map(
            s =>
              `${s.name}${s.bytes > 0 ? ` ${formatBytes(s.bytes)}` : ''}: ${s.argv.join(' ')} (pid ${s.pid})`,
          )
          .join('; ');
        ctx.events.normal('Stressing', `${target.id}: ${summary}`.slice(0, 1000));
        ctx.log.info('stressors started', { node: target.nodeName, stressors: started.map(s => s.name) });
      }
      return PHASE_INJECTED;
    },
    async recover(ctx) {
      await ctx.daemon(StressChaosDaemonDefinition).recoverStress({});
      return PHASE_NOT_INJECTED;
    },
  };
}
