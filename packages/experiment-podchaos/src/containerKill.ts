// SPDX-License-Identifier: Apache-2.0
// container-kill: the daemon on the pod's node kills the container's task through the
// container runtime (core KillContainer RPC, SIGKILL). One-shot: the kubelet restarts it.
//
// A repeated apply (the engine never saw the first one's result) must not kill the restarted
// container. The record carries the runtime id of the container that was selected
// (`instanceId`): when the pod now runs another id, or none, the selected container is gone
// and the record counts as killed. Records without an id (the container had not started when
// it was selected) kill whatever runs under the name.
import { ChaosDaemonDefinition } from '@chaosplane/daemon/client';
import { ChaosplaneError, PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosImpl } from '@chaosplane/sdk';
import type { PodChaosSpec, PodChaosTarget } from './kind.js';

/** Builds the container-kill implementation; it calls the daemon of the target's node. */
export function createContainerKillImpl(): ChaosImpl<PodChaosSpec, PodChaosTarget> {
  return {
    async apply({ target, record, daemon, log, events }) {
      if (target.kind !== 'container') {
        throw new ChaosplaneError('invalid', 'container-kill selects containers', { field: 'spec.action' });
      }
      if (record.instanceId !== undefined && target.containerId !== record.instanceId) {
        log.info('container-kill already done: the selected container is gone', {
          selectedContainerId: record.instanceId,
          currentContainerId: target.containerId,
        });
        return PHASE_INJECTED;
      }
      log.info('Apply container-kill', { containerId: target.containerId, node: target.nodeName });
      try {
        await daemon(ChaosDaemonDefinition).killContainer({
          containerId: target.containerId,
          signal: 'SIGKILL',
        });
      } catch (error) {
        // The selected container exited, or left with its pod, before the kill: nothing to do.
        if (record.instanceId !== undefined && ChaosplaneError.isKind(error, 'not-found'))
          return PHASE_INJECTED;
        throw error;
      }
      events.normal('ContainerKilled', `killed container ${target.containerName} (${target.containerId})`);
      return PHASE_INJECTED;
    },
    // The pod left, or the container has no running id: the selected one is gone, if one was.
    whenTargetGone({ record, log }, error) {
      if (record.instanceId === undefined) throw error;
      log.info('container-kill already done: the selected container is gone', {
        selectedContainerId: record.instanceId,
      });
      return PHASE_INJECTED;
    },
    recover: () => PHASE_NOT_INJECTED,
  };
}
