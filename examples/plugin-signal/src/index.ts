// SPDX-License-Identifier: Apache-2.0
/**
 * SignalChaos, an out-of-tree Chaosplane plugin: sends a signal (SIGKILL, SIGTERM, SIGSTOP…)
 * to the main process of selected containers. Built only on `@chaosplane/sdk` and
 * `@chaosplane/daemon/plugin`; load it with `--plugin chaosplane-plugin-signal`.
 * @packageDocumentation
 */
import { defineDaemonHandler } from '@chaosplane/daemon/plugin';
import { PHASE_INJECTED, PHASE_NOT_INJECTED, definePlugin } from '@chaosplane/sdk';
import { SignalDaemonDefinition } from './gen/chaosplane/examples/signal/v1/signal.js';
import { signalChaosKind } from './kind.js';
import { requireSupportedSignal } from './signals.js';

export { SignalChaosSpecSchema, signalChaosKind, type SignalChaosSpec } from './kind.js';
export {
  SUPPORTED_SIGNALS,
  isSupportedSignal,
  requireSupportedSignal,
  type SupportedSignal,
} from './signals.js';
export { SignalDaemonDefinition } from './gen/chaosplane/examples/signal/v1/signal.js';

export default definePlugin({
  kind: signalChaosKind,
  controller: {
    async apply({ obj, target, daemon, log, events }) {
      log.info('Send signal', {
        signal: obj.spec.signal,
        containerId: target.containerId,
        node: target.nodeName,
      });
      const sent = await daemon(SignalDaemonDefinition).sendSignal({
        containerId: target.containerId,
        signal: obj.spec.signal,
      });
      events.normal('Signal', `sent ${obj.spec.signal} to ${target.id} (pid ${sent.pid})`);
      return PHASE_INJECTED;
    },
    // A signal cannot be taken back: recovering leaves the container as the signal left it.
    recover: () => PHASE_NOT_INJECTED,
  },
  daemon: defineDaemonHandler({
    service: SignalDaemonDefinition,
    handler: daemon => ({
      async sendSignal(request, context) {
        const call = daemon.call(context);
        // The controller validated the spec, but any holder of a client certificate can call us.
        const signalName = requireSupportedSignal(request.signal);
        const container = await call.container(request.containerId);
        await container.signal(signalName);
        call.log.info('Signal sent', {
          containerId: request.containerId,
          signal: signalName,
          pid: container.pid,
        });
        return { pid: container.pid };
      },
    }),
  }),
});
