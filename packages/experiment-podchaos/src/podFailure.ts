// SPDX-License-Identifier: Apache-2.0
// pod-failure: swap every container and init container image of the pod for a pause image,
// remembering the originals in an annotation (see imagePlan.ts), and put them back on recover.
// Every write is a patch conditional on the resourceVersion it was computed from; on 409 the
// pod is read again and the plan recomputed, so overlapping experiments never lose an update.
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  type ChaosImpl,
  type ChaosObject,
  type KubeClient,
  type Pod,
} from '@chaosplane/sdk';
import {
  annotationKeyFor,
  planFailure,
  planRestore,
  toStrategicMergePatch,
  type ImageChange,
} from './imagePlan.js';
import type { PodChaosSpec, PodChaosTarget } from './kind.js';
import { patchPod, readPod } from './podApi.js';

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
export function createPodFailureImpl(
  options: PodFailureOptions = {},
): ChaosImpl<PodChaosSpec, PodChaosTarget> {
  const pauseImage = options.pauseImage ?? DEFAULT_PAUSE_IMAGE;
  const attempts = options.maxConflictRetries ?? 8;

  /**
   * Plans on `pod` and patches; on 409 reads the pod again and plans again, until the plan
   * applies or is empty. A pod that is gone is `not-found` (the engine counts it as recovered).
   */
  async function patchUntilSettled(
    kube: KubeClient,
    target: PodChaosTarget,
    plan: (pod: Pod) => ImageChange | undefined,
    signal: AbortSignal,
  ): Promise<ImageChange | undefined> {
    const { namespace, podName } = target;
    let pod = target.pod;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      const change = plan(pod);
      if (change === undefined) return undefined;
      try {
        await patchPod(
          kube,
          namespace,
          podName,
          toStrategicMergePatch(change, pod.metadata.resourceVersion),
          signal,
        );
        return change;
      } catch (error) {
        if (!ChaosplaneError.isKind(error, 'conflict')) throw error;
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
      pod = await readPod(kube, namespace, podName, signal);
    }
  }

  return {
    async apply({ target, obj, kube, log, signal, events }) {
      const chaos = `${obj.metadata.namespace}/${obj.metadata.name}`;
      const change = await patchUntilSettled(
        kube,
        target,
        pod => planFailure(pod, keyOf(obj), chaos, pauseImage),
        signal,
      );
      if (change !== undefined) {
        log.info('Apply pod-failure', {
          pod: target.id,
          pauseImage,
          containers: Object.keys(change.containers),
        });
        events.normal('PodFailed', `${target.id}: images swapped for ${pauseImage}`);
      }
      return PHASE_INJECTED;
    },
    async recover({ target, obj, kube, log, signal, events }) {
      const change = await patchUntilSettled(kube, target, pod => planRestore(pod, keyOf(obj)), signal);
      if (change !== undefined) {
        const restored =
          Object.keys(change.containers).length + Object.keys(change.initContainers).length > 0;
        log.info('Recover pod-failure', { pod: target.id, restored });
        events.normal(
          'PodRecovered',
          restored
            ? `${target.id}: original images restored`
            : `${target.id}: another pod-failure still holds the pod`,
        );
      }
      return PHASE_NOT_INJECTED;
    },
  };
}
