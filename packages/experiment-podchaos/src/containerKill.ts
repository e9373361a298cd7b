// SPDX-License-Identifier: Apache-2.0
// container-kill: the daemon on the pod's node kills the container's task through the
// container runtime (core KillContainer RPC, SIGKILL). One-shot: the kubelet restarts it.
// A repeated apply (the engine never saw the first one's result) must not kill the restarted
// container: a container running since after the experiment was created counts as killed.
import {
  ChaosDaemonDefinition,
  DAEMON_CLIENT_POOL,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  decodeContainerRecord,
  type ChaosImpl,
  type ControllerDeps,
  type DaemonClientPool,
} from '@chaosplane/core';
import type { PodChaosSpec } from './kind.js';
import { isLaterSecond } from './podKill.js';

/** Builds the container-kill implementation; it calls daemons through the operator's pool. */
export function createContainerKillImpl(deps: Pick<ControllerDeps, 'get'>): ChaosImpl<PodChaosSpec> {
  const pool = deps.get<DaemonClientPool>(DAEMON_CLIENT_POOL);
  return {
    async apply({ index, records, obj, kube, log, signal, events }) {
      const target = await decodeContainerRecord(kube, records[index]!.id);
      const status = target.pod.status?.containerStatuses?.find(s => s.name === target.containerName);
      if (isLaterSecond(status?.state?.running?.startedAt, obj.metadata.creationTimestamp)) {
        log.info('container-kill already done', { containerId: target.containerId });
        return PHASE_INJECTED;
      }
      log.info('Apply container-kill', { containerId: target.containerId, node: target.pod.spec?.nodeName });
      const chaos = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
      const daemon = await pool.clientFor(target.pod, ChaosDaemonDefinition, { chaos });
      await daemon.killContainer({ containerId: target.containerId, signal: 'SIGKILL' }, { signal });
      events?.normal('ContainerKilled', `killed container ${target.containerName} (${target.containerId})`);
      return PHASE_INJECTED;
    },
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}
