// SPDX-License-Identifier: Apache-2.0
// The controller half of SignalChaos: for each container record, ask the daemon on the
// container's node to send the signal, and note it on the chaos object as an Event.
import {
  DAEMON_CLIENT_POOL,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  decodeContainerRecord,
  type ChaosImpl,
  type ControllerDeps,
  type DaemonClientPool,
} from '@chaosplane/core';
import { SignalDaemonDefinition } from './gen/chaosplane/examples/signal/v1/signal.js';
import type { SignalChaosSpec } from './kind.js';

/** Builds the SignalChaos implementation from the operator's dependencies. */
export function createSignalImpl(deps: ControllerDeps): ChaosImpl<SignalChaosSpec> {
  const pool = deps.get<DaemonClientPool>(DAEMON_CLIENT_POOL);
  return {
    async apply({ index, records, obj, signal, log, kube, events }) {
      const record = records[index];
      const target = await decodeContainerRecord(kube, record.id);
      log.info('Send signal', {
        signal: obj.spec.signal,
        containerId: target.containerId,
        node: target.pod.spec?.nodeName,
      });
      const chaos = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
      const daemon = await pool.clientFor(target.pod, SignalDaemonDefinition, { chaos, signal });
      const { pid } = await daemon.sendSignal(
        { containerId: target.containerId, signal: obj.spec.signal },
        { signal },
      );
      events?.normal('Signal', `sent ${obj.spec.signal} to ${record.id} (pid ${pid})`);
      return PHASE_INJECTED;
    },
    // A signal cannot be taken back: recovering leaves the container as the signal left it.
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}
