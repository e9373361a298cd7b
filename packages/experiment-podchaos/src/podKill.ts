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
import { PHASE_INJECTED, PHASE_NOT_INJECTED, parseRecordId, type ChaosImpl } from '@chaosplane/core';
import type { V1Pod } from '@kubernetes/client-node';
import { coreApiFor, statusCodeOf } from './coreApi.js';
import type { PodChaosSpec } from './kind.js';

/** Builds the pod-kill implementation. */
export function createPodKillImpl(): ChaosImpl<PodChaosSpec> {
  return {
    async apply({ index, records, obj, kube, log, events }) {
      const record = records[index]!;
      const { namespace, podName } = parseRecordId(record.id);
      const gracePeriodSeconds = obj.spec.gracePeriod ?? 0;
      const api = coreApiFor(kube);
      let pod: V1Pod;
      try {
        pod = await api.readNamespacedPod({ name: podName, namespace });
      } catch (error) {
        // Gone already (another experiment or a controller was faster): the goal is met.
        if (statusCodeOf(error) === 404) return PHASE_INJECTED;
        throw error;
      }
      const uid = pod.metadata?.uid;
      if (record.instanceId !== undefined && uid !== record.instanceId) {
        log.info('pod-kill already done: the selected pod is gone and another has its name', {
          pod: `${namespace}/${podName}`,
          selectedUid: record.instanceId,
          currentUid: uid,
        });
        return PHASE_INJECTED;
      }
      if (pod.metadata?.deletionTimestamp !== undefined) {
        log.info('pod-kill already done: the pod is terminating', { pod: `${namespace}/${podName}` });
        return PHASE_INJECTED;
      }
      log.info('Apply pod-kill', { pod: `${namespace}/${podName}`, gracePeriodSeconds });
      try {
        await api.deleteNamespacedPod({
          name: podName,
          namespace,
          gracePeriodSeconds,
          body: { gracePeriodSeconds, ...(uid !== undefined ? { preconditions: { uid } } : {}) },
        });
      } catch (error) {
        // 404: gone meanwhile. 409: the UID precondition failed, a replacement took the name.
        const code = statusCodeOf(error);
        if (code !== 404 && code !== 409) throw error;
        return PHASE_INJECTED;
      }
      events?.normal('PodKilled', `deleted pod ${namespace}/${podName}`);
      return PHASE_INJECTED;
    },
    // A deleted pod cannot be brought back; its controller recreates it.
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}
