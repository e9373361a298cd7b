// SPDX-License-Identifier: Apache-2.0
import type { ExtensionContext } from '@chaosplane/engine';
import type { Controller } from '../runtime/createController.js';
import type { OrchestrationDeps } from '../runtime/deps.js';

/** The workflow controllers (entry and nodes). */
export function wireWorkflow(_deps: OrchestrationDeps, _context: ExtensionContext): Controller[] {
  return [];
}
