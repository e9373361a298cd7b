// SPDX-License-Identifier: Apache-2.0
import type { CompatServiceDefinition, ServiceImplementation } from 'nice-grpc';
import type { LinuxCapability } from '../process/capabilities.js';
import type { DaemonToolkit } from './types.js';

/**
 * A plugin's daemon half: its own service definition (ts-proto `generic-definitions` output)
 * and a factory for the implementation. The daemon adds it to the same gRPC server as its core
 * service; the core proto is never edited.
 */
export interface DaemonHandlerRegistration<
  Service extends CompatServiceDefinition = CompatServiceDefinition,
> {
  /** The plugin's gRPC service definition (ts-proto's, generated from its proto). */
  readonly service: Service;
  /** Builds the service's implementation once, at daemon start, from what the daemon offers. */
  readonly handler: (daemon: DaemonToolkit) => ServiceImplementation<Service>;
  /**
   * Linux capabilities the handler's commands need beyond what every plugin's do (SYS_ADMIN,
   * SYS_CHROOT and SYS_PTRACE to enter a target's namespaces, KILL, SETGID and SETUID to run as
   * another user): NetworkChaos's tc and iptables need NET_ADMIN and NET_RAW. A daemon started
   * without one logs so and refuses the handler's calls with `unsupported`, naming it.
   */
  readonly capabilities?: readonly LinuxCapability[];
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
