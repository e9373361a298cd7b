// SPDX-License-Identifier: Apache-2.0
// The daemon half of SignalChaos: check the signal again, resolve the container's PID and send
// the signal through the node's container runtime (no shell, no kill(1)).
import { defineDaemonHandler } from '@chaosplane/daemon';
import { SignalDaemonDefinition } from './gen/chaosplane/examples/signal/v1/signal.js';
import { requireSupportedSignal } from './signals.js';

/** SignalChaos's daemon handler registration. */
export const signalDaemon = defineDaemonHandler({
  service: SignalDaemonDefinition,
  handler: deps => ({
    async sendSignal(request, context) {
      const log = deps.loggerFor(context);
      // The controller validated the spec, but any holder of a client certificate can call us.
      const signalName = requireSupportedSignal(request.signal);
      const { pid } = await deps.runtimes.pidOf(request.containerId, context.signal);
      await deps.runtimes.kill(request.containerId, signalName, context.signal);
      log.info('Signal sent', { containerId: request.containerId, signal: signalName, pid });
      return { pid };
    },
  }),
});
