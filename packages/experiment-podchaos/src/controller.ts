// SPDX-License-Identifier: Apache-2.0
// The PodChaos controller: one implementation per action behind core's action multiplexer.
import { createActionMultiplexer, type ChaosImpl, type ControllerDeps } from '@chaosplane/core';
import { createContainerKillImpl } from './containerKill.js';
import type { PodChaosSpec } from './kind.js';
import { PAUSE_IMAGE_ENV, createPodFailureImpl, type PodFailureOptions } from './podFailure.js';
import { createPodKillImpl } from './podKill.js';

/** Options of {@link createPodChaosImpl}. */
export interface PodChaosOptions extends PodFailureOptions {
  /** Where `POD_FAILURE_PAUSE_IMAGE` is read when `pauseImage` is not given; `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Builds the PodChaos implementation from the operator's dependencies. */
export function createPodChaosImpl(
  deps: Pick<ControllerDeps, 'get'>,
  options: PodChaosOptions = {},
): ChaosImpl<PodChaosSpec> {
  const fromEnv = (options.env ?? process.env)[PAUSE_IMAGE_ENV]?.trim();
  const pauseImage = options.pauseImage ?? (fromEnv ? fromEnv : undefined);
  return createActionMultiplexer<PodChaosSpec>({
    'pod-kill': createPodKillImpl(),
    'pod-failure': createPodFailureImpl({ ...options, ...(pauseImage ? { pauseImage } : {}) }),
    'container-kill': createContainerKillImpl(deps),
  });
}
