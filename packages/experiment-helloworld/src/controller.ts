// SPDX-License-Identifier: Apache-2.0
// The controller half of HelloWorldChaos: for each container record, ask that node's daemon to
// run `ps aux` in the container, and attach what it printed to the chaos object as an Event.
import {
  DAEMON_CLIENT_POOL,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  decodeContainerRecord,
  type ChaosImpl,
  type ControllerDeps,
  type DaemonClientPool,
} from '@chaosplane/core';
import { HelloWorldDaemonDefinition } from './gen/chaosplane/helloworld/v1/helloworld.js';
import type { HelloWorldChaosSpec } from './kind.js';

/** Event messages are capped: `ps aux` of a busy container is long. */
const MAX_EVENT_OUTPUT = 900;

/** Builds the HelloWorldChaos implementation from the operator's dependencies. */
export function createHelloWorldImpl(deps: ControllerDeps): ChaosImpl<HelloWorldChaosSpec> {
  const pool = deps.get<DaemonClientPool>(DAEMON_CLIENT_POOL);
  return {
    async apply({ index, records, obj, signal, log, kube, events }) {
      const record = records[index];
      const target = await decodeContainerRecord(kube, record.id);
      log.info('Apply helloworld chaos', {
        containerId: target.containerId,
        node: target.pod.spec?.nodeName,
      });
      const chaos = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
      const daemon = await pool.clientFor(target.pod, HelloWorldDaemonDefinition, { chaos, signal });
      const { output, pid } = await daemon.execHelloWorldChaos(
        { containerId: target.containerId },
        { signal },
      );
      const text = output.length > MAX_EVENT_OUTPUT ? `${output.slice(0, MAX_EVENT_OUTPUT)}…` : output;
      events?.normal('HelloWorld', `ps aux in ${record.id} (pid ${pid}):\n${text}`);
      return PHASE_INJECTED;
    },
    // Saying hello leaves nothing behind.
    recover: () => Promise.resolve(PHASE_NOT_INJECTED),
  };
}
