// SPDX-License-Identifier: Apache-2.0
// The status check controller, fed by StatusChecks.
import type { ExtensionContext } from '@chaosplane/engine';
import { createController, type Controller } from '../runtime/createController.js';
import { keyOfObject, type OrchestrationDeps } from '../runtime/deps.js';
import { reconcileStatusCheck } from './reconcileStatusCheck.js';

/** Creates the status check controller and subscribes it to StatusChecks. */
export function wireStatusCheck(deps: OrchestrationDeps, context: ExtensionContext): Controller {
  const controller = createController({
    name: 'statuscheck',
    clock: deps.clock,
    log: context.log,
    stopping: context.stopping,
    workers: 4,
    reconcile: (key, signal) => reconcileStatusCheck(deps, key, signal),
  });
  deps.caches.statusChecks.onChange(obj => controller.enqueue(keyOfObject(obj)));
  return controller;
}
