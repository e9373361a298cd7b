// SPDX-License-Identifier: Apache-2.0
// The PodChaos controller: one implementation per action behind the SDK's action multiplexer.
import { createActionMultiplexer, type ChaosImpl } from '@chaosplane/sdk';
import { createContainerKillImpl } from './containerKill.js';
import type { PodChaosSpec, PodChaosTarget } from './kind.js';
import { PAUSE_IMAGE_ENV, createPodFailureImpl, type PodFailureOptions } from './podFailure.js';
import { createPodKillImpl } from './podKill.js';

/** Options of {@link createPodChaosImpl}. */
export interface PodChaosOptions extends PodFailureOptions {
  /** Where `POD_FAILURE_PAUSE_IMAGE` is read when `pauseImage` is not given; `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Builds the PodChaos implementation: one implementation per action. */
export function createPodChaosImpl(options: PodChaosOptions = {}): ChaosImpl<PodChaosSpec, PodChaosTarget> {
  const fromEnv = (options.env ?? process.env)[PAUSE_IMAGE_ENV]?.trim();
  const pauseImage = options.pauseImage ?? (fromEnv ? fromEnv : undefined);
  return createActionMultiplexer<PodChaosSpec, PodChaosTarget>({
    'pod-kill': createPodKillImpl(),
    'pod-failure': createPodFailureImpl({ ...options, ...(pauseImage ? { pauseImage } : {}) }),
    'container-kill': createContainerKillImpl(),
  });
}
