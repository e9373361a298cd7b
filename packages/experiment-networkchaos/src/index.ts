// SPDX-License-Identifier: Apache-2.0
/**
 * NetworkChaos as a Chaosplane plugin: Chaos Mesh's partition, bandwidth and netem actions on a
 * pod's network namespace, composed per pod by the daemon (several experiments on one pod all take
 * effect; recovering one leaves the others as they were), refused up front on a kernel without
 * what the action needs.
 * @packageDocumentation
 */
import { definePlugin } from '@chaosplane/sdk';
import { createNetworkChaosImpl } from './controller.js';
import { networkChaosDaemon } from './daemon/networkChaosDaemon.js';
import { networkChaosKind } from './kind.js';

export {
  NETWORK_CHAOS_ACTIONS,
  NetworkChaosSpecSchema,
  TARGET_SELECTOR_KEY,
  networkChaosKind,
  type NetworkChaosAction,
  type NetworkChaosSpec,
} from './kind.js';
export { ALLOW_HOST_NETWORK_ENV, createNetworkChaosImpl, type NetworkChaosOptions } from './controller.js';
export { NetworkChaosDaemonDefinition } from './gen/chaosplane/networkchaos/v1/networkchaos.js';

export default definePlugin({
  kind: networkChaosKind,
  controller: () => createNetworkChaosImpl(),
  daemon: networkChaosDaemon,
});
