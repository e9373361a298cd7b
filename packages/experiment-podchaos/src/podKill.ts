// SPDX-License-Identifier: Apache-2.0
// pod-kill: delete the pod through the API server with the spec's grace period (0 when unset,
// as in Chaos Mesh, whose int64 field defaults to 0: the pod goes at once). One-shot, so there
// is nothing to recover; a pod that is already gone has been killed.
//
// The engine may repeat an apply whose result it never saw (a crash, a lost reply): the repeat
// must not kill a pod that a controller created since under the same name. The record carries
// the UID of the pod that was selected (`instanceId`), so a pod with another UID is a
// replacement and the selected one is gone, and the delete carries that UID as a precondition.
// No clocks are compared: a pod created after the experiment (selection waits for targets to
// appear) is the selected pod, and it is killed.
import { ChaosplaneError, PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosImpl } from '@chaosplane/sdk';
import type { PodChaosSpec, PodChaosTarget } from './kind.js';
import { deletePod } from './podApi.js';

/** Builds the pod-kill implementation. */
export function createPodKillImpl(): ChaosImpl<PodChaosSpec, PodChaosTarget> {
  return {
    async apply({ target, record, obj, kube, log, events, signal }) {
      const { namespace, podName, pod } = target;
      const where = `${namespace}/${podName}`;
      const uid = pod.metadata.uid;
      if (record.instanceId !== undefined && uid !== record.instanceId) {
        log.info('pod-kill already done: the selected pod is gone and another has its name', {
          pod: where,
          selectedUid: record.instanceId,
          currentUid: uid,
        });
        return PHASE_INJECTED;
      }
      if (pod.metadata.deletionTimestamp !== undefined) {
        log.info('pod-kill already done: the pod is terminating', { pod: where });
        return PHASE_INJECTED;
      }
      const gracePeriodSeconds = obj.spec.gracePeriod ?? 0;
      log.info('Apply pod-kill', { pod: where, gracePeriodSeconds });
      try {
        await deletePod(kube, { namespace, name: podName, uid, gracePeriodSeconds }, signal);
      } catch (error) {
        // Gone meanwhile, or the UID precondition failed: a replacement took the name.
        if (ChaosplaneError.isKind(error, 'not-found') || ChaosplaneError.isKind(error, 'conflict'))
          return PHASE_INJECTED;
        throw error;
      }
      events.normal('PodKilled', `deleted pod ${where}`);
      return PHASE_INJECTED;
    },
    // Gone already (another experiment or a controller was faster): the goal is met.
    whenTargetGone: () => PHASE_INJECTED,
    // A deleted pod cannot be brought back; its controller recreates it.
    recover: () => PHASE_NOT_INJECTED,
  };
}
