// SPDX-License-Identifier: Apache-2.0
import type { Logger } from '@chaosplane/core';
import type { CallContext, CompatServiceDefinition, ServiceImplementation } from 'nice-grpc';

import type { Journal } from '../journal/createJournal.js';
import type { ProcessManager } from '../process/createProcessManager.js';
import type { RuntimeResolver } from '../runtime/createRuntimeResolver.js';

/** The chaos object a call acts for, from the `chaos-namespace` / `chaos-name` metadata. */
export interface CallChaosRef {
  namespace: string;
  name: string;
}

/** What the daemon gives each plugin handler factory. */
export interface DaemonHandlerDeps {
  /** A logger named after the plugin's service. */
  logger: Logger;
  /** Container id (`containerd://…`) → PID, kill, list. */
  runtimes: RuntimeResolver;
  /** Runs commands in a target's namespaces; tracks long-running ones and injected changes. */
  processManager: ProcessManager;
  /** The on-node journal (the process manager already journals what it starts). */
  journal: Journal;
  /**
   * The caller's verified identity (client certificate CN), set by the server from the TLS
   * session and never from client-sent metadata; empty when the daemon runs --insecure.
   */
  callerIdentity(context: CallContext): string;
  /** The chaos object named in the call's metadata, if any. */
  chaosOf(context: CallContext): CallChaosRef | undefined;
  /** A logger whose lines carry the call's chaos object. */
  loggerFor(context: CallContext): Logger;
}

/**
 * A plugin's daemon half: its own service definition (ts-proto `generic-definitions` output)
 * and a factory for the implementation. The daemon adds it to the same gRPC server as its core
 * service; the core proto is never edited.
 */
export interface DaemonHandlerRegistration<
  Service extends CompatServiceDefinition = CompatServiceDefinition,
> {
  service: Service;
  handler: (deps: DaemonHandlerDeps) => ServiceImplementation<Service>;
}

/** A plugin module's default export as far as the daemon cares: anything with `daemon`. */
export interface DaemonPlugin<Service extends CompatServiceDefinition = CompatServiceDefinition> {
  daemon?: DaemonHandlerRegistration<Service>;
}

/**
 * Typed identity helper for plugin authors: checks the implementation against the service.
 *
 * @example
 * export const daemon = defineDaemonHandler({
 *   service: HelloWorldDaemonDefinition,
 *   handler: deps => ({ async execHelloWorldChaos(req, ctx) { … } }),
 * });
 */
export function defineDaemonHandler<Service extends CompatServiceDefinition>(
  registration: DaemonHandlerRegistration<Service>,
): DaemonHandlerRegistration<Service> {
  return registration;
}
