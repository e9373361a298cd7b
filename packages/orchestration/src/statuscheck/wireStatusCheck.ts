// SPDX-License-Identifier: Apache-2.0
import type { ExtensionContext } from '@chaosplane/engine';
import { createController, type Controller } from '../runtime/createController.js';
import type { OrchestrationDeps } from '../runtime/deps.js';

/** The status check controller. */
export function wireStatusCheck(deps: OrchestrationDeps, context: ExtensionContext): Controller {
  return createController({
    name: 'statuscheck',
    clock: deps.clock,
    log: context.log,
    stopping: context.stopping,
    reconcile: () => Promise.resolve(undefined),
  });
}
