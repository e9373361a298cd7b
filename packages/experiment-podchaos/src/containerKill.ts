// SPDX-License-Identifier: Apache-2.0
// container-kill: the daemon on the pod's node kills the container's task through the
// container runtime (core KillContainer RPC, SIGKILL). One-shot: the kubelet restarts it.
//
// A repeated apply (the engine never saw the first one's result) must not kill the restarted
// container. The record carries the runtime id of the container that was selected
// (`instanceId`): when the pod now runs another id, or none, the selected container is gone
// and the record counts as killed. Records without an id (the container had not started when
// it was selected) kill whatever runs under the name.
import {
  ChaosDaemonDefinition,
  DAEMON_CLIENT_POOL,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  decodeContainerRecord,
  isTargetGone,
  type ChaosImpl,
  type ContainerRecord,
  type ControllerDeps,
  type DaemonClientPool,
  type Logger,
} from '@chaosplane/core';
import type { PodChaosSpec } from './kind.js';

/** Builds the container-kill implementation; it calls daemons through the operator's pool. */
export function createContainerKillImpl(deps: Pick<ControllerDeps, 'get'>): ChaosImpl<PodChaosSpec> {
  const pool = deps.get<DaemonClientPool>(DAEMON_CLIENT_POOL);
  return {
    async apply({ index, records, obj, kube, log, signal, events }) {
      const record = records[index]!;
      try {
        const target = await decodeContainerRecord(kube, record.id);
        if (record.instanceId !== undefined && target.containerId !== record.instanceId) {
          return alreadyDone(record, log, target.containerId);
        }
        log.info('Apply container-kill', {
          containerId: target.containerId,
          node: target.pod.spec?.nodeName,
        });
        const chaos = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
        const daemon = await pool.clientFor(target.pod, ChaosDaemonDefinition, { chaos, signal });
        await daemon.killContainer({ containerId: target.containerId, signal: 'SIGKILL' }, { signal });
        events?.normal('ContainerKilled', `killed container ${target.containerName} (${target.containerId})`);
        return PHASE_INJECTED;
      } catch (error) {
        // The selected container exited, or left with its pod, before the kill: nothing to do.
        if (record.instanceId !== undefined && isTargetGone(error)) return alreadyDone(record, log);
        throw error;
      }
    },
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}

function alreadyDone(record: ContainerRecord, log: Logger, currentId?: string): string {
  log.info('container-kill already done: the selected container is gone', {
    selectedContainerId: record.instanceId,
    ...(currentId !== undefined ? { currentContainerId: currentId } : {}),
  });
  return PHASE_INJECTED;
}
