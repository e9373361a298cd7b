// SPDX-License-Identifier: Apache-2.0
/**
 * PodChaos as a Chaosplane plugin: Chaos Mesh's pod-kill, pod-failure and container-kill,
 * built only on the plugin SDK (the daemon's core KillContainer RPC does the container kill,
 * so the plugin has no daemon half of its own).
 * @packageDocumentation
 */
import { definePlugin } from '@chaosplane/sdk';
import { createPodChaosImpl } from './controller.js';
import { podChaosKind } from './kind.js';

export {
  CONTAINER_NAME_REQUIRED,
  POD_CHAOS_ACTIONS,
  PodChaosSpecSchema,
  isOneShotAction,
  podChaosKind,
  type PodChaosAction,
  type PodChaosSpec,
  type PodChaosTarget,
} from './kind.js';
export { createPodChaosImpl, type PodChaosOptions } from './controller.js';
export { createPodKillImpl } from './podKill.js';
export { createContainerKillImpl } from './containerKill.js';
export {
  DEFAULT_PAUSE_IMAGE,
  PAUSE_IMAGE_ENV,
  createPodFailureImpl,
  type PodFailureOptions,
} from './podFailure.js';
export {
  ORIGINAL_IMAGES_ANNOTATION_PREFIX,
  annotationKeyFor,
  applyChange,
  planFailure,
  planRestore,
  toStrategicMergePatch,
  type ImageChange,
  type OriginalImages,
} from './imagePlan.js';

export default definePlugin({
  kind: podChaosKind,
  controller: () => createPodChaosImpl(),
  // container-kill needs no API access: the daemon kills the container through the runtime.
  operatorAccess: [
    {
      apiGroups: [''],
      resources: ['pods'],
      verbs: ['delete', 'patch'],
      reason:
        "pod-kill deletes the selected pods; pod-failure patches their containers' images and records the originals in annotations",
    },
  ],
});
