// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError, type ChaosPlugin } from '@chaosplane/sdk';
import { checkCapabilityNames } from '../process/capabilities.js';
import type { DaemonHandlerRegistration } from './defineDaemonHandler.js';

/**
 * The daemon halves of loaded plugins (controller-only plugins have none), each checked to be
 * `{ service: <ts-proto generic definition>, handler: toolkit => implementation, capabilities? }`.
 * @throws ChaosplaneError of kind `plugin` naming the plugin's kind when a daemon half is malformed
 * or declares a capability Linux does not have
 */
export function daemonHandlersOf(plugins: readonly ChaosPlugin[]): DaemonHandlerRegistration[] {
  return plugins.flatMap(plugin => {
    const daemon = plugin.daemon as
      | { service?: { fullName?: unknown; methods?: unknown }; handler?: unknown; capabilities?: unknown }
      | undefined;
    if (daemon === undefined) return [];
    const service = daemon.service;
    if (
      typeof service !== 'object' ||
      service === null ||
      typeof service.fullName !== 'string' ||
      typeof service.methods !== 'object' ||
      typeof daemon.handler !== 'function'
    ) {
      throw new ChaosplaneError(
        'plugin',
        `plugin of kind ${plugin.kind.kind}: daemon must be {service: <ts-proto generic definition>, handler: daemon => implementation} (use defineDaemonHandler)`,
        { field: 'plugins' },
      );
    }
    if (daemon.capabilities !== undefined)
      checkCapabilityNames(daemon.capabilities, `plugin of kind ${plugin.kind.kind}`);
    return [daemon as unknown as DaemonHandlerRegistration];
  });
}
