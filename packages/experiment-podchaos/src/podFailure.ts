// SPDX-License-Identifier: Apache-2.0
// pod-failure: swap every container and init container image of the pod for a pause image,
// remembering the originals in an annotation (see imagePlan.ts), and put them back on recover.
// Every write is a patch conditional on the resourceVersion it was computed from; on 409 the
// pod is read again and the plan recomputed, so overlapping experiments never lose an update.
import { PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  decodePodRecord,
  type ChaosImpl,
  type ChaosObject,
} from '@chaosplane/core';
import { coreApiFor, statusCodeOf } from './coreApi.js';
import {
  annotationKeyFor,
  planFailure,
  planRestore,
  toStrategicMergePatch,
  type ImageChange,
} from './imagePlan.js';
import type { PodChaosSpec } from './kind.js';

/**
 * The image pod-failure runs instead of the pod's own. Chaos Mesh uses
 * `gcr.io/google-containers/pause:latest`; that registry is frozen, so the default is the
 * pause image current kubelets use for pod sandboxes, pinned.
 */
export const DEFAULT_PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/** The environment variable that overrides the pause image (Chaos Mesh's name). */
export const PAUSE_IMAGE_ENV = 'POD_FAILURE_PAUSE_IMAGE';

/** Options of {@link createPodFailureImpl}. */
export interface PodFailureOptions {
  /** The image swapped in; {@link DEFAULT_PAUSE_IMAGE} by default. */
  pauseImage?: string;
  /** Attempts of one patch when the pod keeps changing underneath (409); 8 by default. */
  maxConflictRetries?: number;
}

function keyOf(obj: ChaosObject<PodChaosSpec>): string {
  return annotationKeyFor(obj.metadata.uid ?? `${obj.metadata.namespace}-${obj.metadata.name}`);
}

/** Builds the pod-failure implementation. */
export function createPodFailureImpl(options: PodFailureOptions = {}): ChaosImpl<PodChaosSpec> {
  const pauseImage = options.pauseImage ?? DEFAULT_PAUSE_IMAGE;
  const attempts = options.maxConflictRetries ?? 8;

  /** Reads the pod, plans, patches; again on 409 until the plan applies or is empty. */
  async function patchUntilSettled(
    kube: KubeConfig,
    recordId: string,
    plan: (pod: V1Pod) => ImageChange | undefined,
    signal: AbortSignal,
  ): Promise<ImageChange | undefined> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      const { namespace, podName, pod } = await decodePodRecord(kube, recordId);
      const change = plan(pod);
      if (change === undefined) return undefined;
      try {
        await coreApiFor(kube).patchNamespacedPod(
          { name: podName, namespace, body: toStrategicMergePatch(change, pod.metadata?.resourceVersion) },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
        return change;
      } catch (error) {
        const code = statusCodeOf(error);
        if (code === 404) {
          throw new ChaosplaneError('not-found', `pod ${namespace}/${podName} not found`, { cause: error });
        }
        if (code !== 409) throw error;
        if (attempt >= attempts) {
          throw new ChaosplaneError(
            'conflict',
            `pod ${namespace}/${podName} kept changing (${attempts} conflicts)`,
            {
              cause: error,
            },
          );
        }
      }
    }
  }

  return {
    async apply({ index, records, obj, kube, log, signal, events }) {
      const id = records[index]!.id;
      const chaos = `${obj.metadata.namespace}/${obj.metadata.name}`;
      const change = await patchUntilSettled(
        kube,
        id,
        pod => planFailure(pod, keyOf(obj), chaos, pauseImage),
        signal,
      );
      if (change !== undefined) {
        log.info('Apply pod-failure', { pod: id, pauseImage, containers: Object.keys(change.containers) });
        events?.normal('PodFailed', `${id}: images swapped for ${pauseImage}`);
      }
      return PHASE_INJECTED;
    },
    // A vanished pod throws `not-found` (decodePodRecord), which the engine counts as recovered.
    async recover({ index, records, obj, kube, log, signal, events }) {
      const id = records[index]!.id;
      const change = await patchUntilSettled(kube, id, pod => planRestore(pod, keyOf(obj)), signal);
      if (change !== undefined) {
        const restored =
          Object.keys(change.containers).length + Object.keys(change.initContainers).length > 0;
        log.info('Recover pod-failure', { pod: id, restored });
        events?.normal(
          'PodRecovered',
          restored ? `${id}: original images restored` : `${id}: another pod-failure still holds the pod`,
        );
      }
      return PHASE_NOT_INJECTED;
    },
  };
}
