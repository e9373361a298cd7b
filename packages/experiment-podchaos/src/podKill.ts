// SPDX-License-Identifier: Apache-2.0
// pod-kill: delete the pod through the API server with the spec's grace period (0 when unset,
// as in Chaos Mesh, whose int64 field defaults to 0: the pod goes at once). One-shot, so there
// is nothing to recover; a pod that is already gone has been killed.
import { PHASE_INJECTED, PHASE_NOT_INJECTED, parseRecordId, type ChaosImpl } from '@chaosplane/core';
import { coreApiFor, statusCodeOf } from './coreApi.js';
import type { PodChaosSpec } from './kind.js';

/** Builds the pod-kill implementation. */
export function createPodKillImpl(): ChaosImpl<PodChaosSpec> {
  return {
    async apply({ index, records, obj, kube, log, events }) {
      const { namespace, podName } = parseRecordId(records[index]!.id);
      const gracePeriodSeconds = obj.spec.gracePeriod ?? 0;
      log.info('Apply pod-kill', { pod: `${namespace}/${podName}`, gracePeriodSeconds });
      try {
        await coreApiFor(kube).deleteNamespacedPod({ name: podName, namespace, gracePeriodSeconds });
      } catch (error) {
        // Gone already (another experiment or a controller was faster): the goal is met.
        if (statusCodeOf(error) !== 404) throw error;
      }
      events?.normal('PodKilled', `deleted pod ${namespace}/${podName}`);
      return PHASE_INJECTED;
    },
    // A deleted pod cannot be brought back; its controller recreates it.
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}
