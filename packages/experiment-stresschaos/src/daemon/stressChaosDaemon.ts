// SPDX-License-Identifier: Apache-2.0
// StressChaos's daemon half: each stressor of a record is a managed stress-ng process, started as
// nobody in the target container's pid namespace and, before it runs, in the container's cgroups
// (so its CPU and memory are the container's, bounded by its limits, never the daemon's).
// Stressors are journaled: killed on recover and at the experiment's end by the daemon itself,
// adopted by a restarted daemon while their experiment lasts.
import { defineDaemonHandler, type DaemonCall, type TargetContainer } from '@chaosplane/daemon/plugin';
import { StressChaosDaemonDefinition, type Stressor } from '../gen/chaosplane/stresschaos/v1/stresschaos.js';
import type { StressorName } from '../stressorArgv.js';
import { planStressors, type StressPlan } from './planStressors.js';
import { settleStressors, type StartedStressor } from './settleStressors.js';

/** Every stressor a record may have, by its process name. */
const STRESSOR_NAMES: readonly StressorName[] = ['cpu', 'memory', 'stressng'];

/** Starts the planned stressors; any failure stops every one of them before it is reported. */
async function startStressors(
  call: DaemonCall,
  container: TargetContainer,
  plan: StressPlan,
): Promise<Stressor[]> {
  const started: StartedStressor[] = [];
  const stressors: Stressor[] = [];
  try {
    for (const stressor of plan.stressors) {
      const process = await container.start(stressor.name, {
        as: 'nobody',
        namespaces: ['pid'],
        cgroup: 'container',
        argv: stressor.argv,
        onRestart: 'adopt',
        ...(stressor.oomScoreAdj !== undefined ? { oomScoreAdj: stressor.oomScoreAdj } : {}),
      });
      if (process.started) started.push({ plan: stressor, process });
      stressors.push({
        name: stressor.name,
        pid: process.pid ?? 0,
        started: process.started,
        argv: stressor.argv,
        bytes: stressor.bytes ?? 0,
      });
    }
    const alive = async () =>
      (await call.container(container.containerId).catch(() => undefined))?.pid === container.pid;
    await settleStressors(container, started, plan.before, alive);
  } catch (error) {
    // All or nothing: the record is applied again, from scratch.
    for (const name of STRESSOR_NAMES) await call.revert(name).catch(() => false);
    throw error;
  }
  for (const s of started)
    call.log.info('stressor started', { stressor: s.plan.name, pid: s.process.pid, argv: s.plan.argv });
  return stressors;
}

/** The daemon half of StressChaos. */
export const stressChaosDaemon = defineDaemonHandler({
  service: StressChaosDaemonDefinition,
  handler: daemon => ({
    async applyStress(request, context) {
      const call = daemon.call(context);
      const container = await call.container(request.containerId);
      const plan = await planStressors(request, container);
      return { stressors: await startStressors(call, container, plan) };
    },
    async recoverStress(_request, context) {
      // The container is not needed: a stressor outlives nothing of it, and a gone one took them along.
      const call = daemon.call(context);
      let stopped = 0;
      for (const name of STRESSOR_NAMES) if (await call.revert(name)) stopped += 1;
      return { stopped };
    },
  }),
});
