// SPDX-License-Identifier: Apache-2.0
// pod-kill: delete the pod through the API server with the spec's grace period (0 when unset,
// as in Chaos Mesh, whose int64 field defaults to 0: the pod goes at once). One-shot, so there
// is nothing to recover; a pod that is already gone has been killed.
//
// The engine may repeat an apply whose result it never saw (a crash, a lost reply): the repeat
// must not kill a pod that a controller created since. So a pod that is already terminating,
// or was created after the experiment, counts as killed, and the delete carries the UID of the
// pod that was read.
import {
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  parseRecordId,
  type ChaosImpl,
  type ChaosObject,
} from '@chaosplane/core';
import type { V1Pod } from '@kubernetes/client-node';
import { coreApiFor, statusCodeOf } from './coreApi.js';
import type { PodChaosSpec } from './kind.js';

/**
 * True when `time` is in a later second than `reference`. Kubernetes timestamps have second
 * precision, so anything within the same second is not "after" (which errs towards acting).
 */
export function isLaterSecond(
  time: Date | string | undefined,
  reference: Date | string | undefined,
): boolean {
  if (time === undefined || reference === undefined) return false;
  return Math.floor(new Date(time).getTime() / 1000) > Math.floor(new Date(reference).getTime() / 1000);
}

/** True when `pod` is not the one the experiment selected: a replacement created after it. */
export function isReplacement(pod: V1Pod, obj: ChaosObject): boolean {
  return isLaterSecond(pod.metadata?.creationTimestamp, obj.metadata.creationTimestamp);
}

/** Builds the pod-kill implementation. */
export function createPodKillImpl(): ChaosImpl<PodChaosSpec> {
  return {
    async apply({ index, records, obj, kube, log, events }) {
      const { namespace, podName } = parseRecordId(records[index]!.id);
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
      if (pod.metadata?.deletionTimestamp !== undefined || isReplacement(pod, obj)) {
        log.info('pod-kill already done', { pod: `${namespace}/${podName}` });
        return PHASE_INJECTED;
      }
      log.info('Apply pod-kill', { pod: `${namespace}/${podName}`, gracePeriodSeconds });
      try {
        await api.deleteNamespacedPod({
          name: podName,
          namespace,
          gracePeriodSeconds,
          body: { gracePeriodSeconds, preconditions: { uid: pod.metadata!.uid! } },
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
