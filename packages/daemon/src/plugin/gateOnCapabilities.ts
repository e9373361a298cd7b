// SPDX-License-Identifier: Apache-2.0
// A plugin's service as the daemon serves it, given the capabilities the daemon has: the handler
// itself when it has every one the plugin declared; otherwise, every method refused with one
// message naming what is missing and where to add it. The handler's factory has run either way
// (its shared states are needed by the journal's replay); the other plugins are served as usual.
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { LinuxCapability } from '../process/capabilities.js';
import type { DaemonHandlerRegistration } from './defineDaemonHandler.js';

/**
 * `implementation`, or one that refuses each of the service's methods with `unsupported` when
 * the daemon lacks a capability the registration declared (said once, at error level, in the log).
 */
export function gateOnCapabilities(
  registration: DaemonHandlerRegistration,
  implementation: object,
  has: ReadonlySet<LinuxCapability>,
  log: Logger,
): object {
  const missing = (registration.capabilities ?? []).filter(capability => !has.has(capability));
  if (missing.length === 0) return implementation;
  const service = registration.service as { fullName?: string; methods: Record<string, unknown> };
  const message =
    `${service.fullName ?? 'this plugin service'} needs the capabilities ${missing.join(', ')}, which this daemon ` +
    `does not have: add them to the daemon container's securityContext.capabilities.add (deploy/daemon.yaml)`;
  log.error(message, { missing });
  const refuse = (): never => {
    throw new ChaosplaneError('unsupported', message, { field: 'capabilities' });
  };
  return Object.fromEntries(Object.keys(service.methods).map(method => [method, refuse]));
}
