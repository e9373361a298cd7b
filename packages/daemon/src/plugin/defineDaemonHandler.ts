// SPDX-License-Identifier: Apache-2.0
import type { CompatServiceDefinition, ServiceImplementation } from 'nice-grpc';
import type { DaemonToolkit } from './types.js';

/**
 * A plugin's daemon half: its own service definition (ts-proto `generic-definitions` output)
 * and a factory for the implementation. The daemon adds it to the same gRPC server as its core
 * service; the core proto is never edited.
 */
export interface DaemonHandlerRegistration<
  Service extends CompatServiceDefinition = CompatServiceDefinition,
> {
  readonly service: Service;
  readonly handler: (daemon: DaemonToolkit) => ServiceImplementation<Service>;
}

/**
 * Declares a plugin's daemon handler, checked against its service. The factory runs once when
 * the daemon starts; its methods run per call.
 *
 * @example
 * export const helloWorldDaemon = defineDaemonHandler({
 *   service: HelloWorldDaemonDefinition,
 *   handler: daemon => ({
 *     async execHelloWorldChaos(request, context) {
 *       const container = await daemon.call(context).container(request.containerId);
 *       const { stdout } = await container.run(['ps', 'aux'], { as: 'nobody', namespaces: ['mnt', 'pid'] });
 *       return { output: stdout, pid: container.pid };
 *     },
 *   }),
 * });
 */
export function defineDaemonHandler<Service extends CompatServiceDefinition>(
  registration: DaemonHandlerRegistration<Service>,
): DaemonHandlerRegistration<Service> {
  return registration;
}
