// SPDX-License-Identifier: Apache-2.0
// NetworkChaos's daemon half: each record's fault is a contribution to its pod's network namespace,
// a shared state the daemon renders whole (every live fault of every experiment) after each change.
import { hostname } from 'node:os';
import { defineDaemonHandler } from '@chaosplane/daemon/plugin';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  NetworkChaosDaemonDefinition,
  NetworkFault,
  type CapabilitiesResponse,
} from '../gen/chaosplane/networkchaos/v1/networkchaos.js';
import { networkState, type LiveFault } from './networkState.js';
import { checkCapabilities } from '../capabilities.js';
import { probeCapabilities } from './probeCapabilities.js';
import { renderNetworkState } from './renderNetworkState.js';

/** The daemon half of NetworkChaos. */
export const networkChaosDaemon = defineDaemonHandler({
  service: NetworkChaosDaemonDefinition,
  // tc, iptables and ipset in the pod's network namespace, as host root.
  capabilities: ['NET_ADMIN', 'NET_RAW'],
  handler: daemon => {
    const network = daemon.sharedState<NetworkFault>({
      name: 'network',
      namespaces: ['net'],
      render: (contributions, run) =>
        renderNetworkState(
          networkState(
            contributions.map((c): LiveFault => ({
              key: c.key,
              chaos: c.chaos ?? { namespace: '', name: c.key },
              // Journaled as JSON: defaults are filled in again.
              fault: NetworkFault.fromPartial(c.value),
            })),
          ),
          run,
        ),
    });
    // Probed once, the first time it is needed: a kernel does not grow modules while it runs.
    let capabilities: Promise<CapabilitiesResponse> | undefined;
    const probe = () => (capabilities ??= probeCapabilities((argv, options) => daemon.run(argv, options)));
    return {
      capabilities: () => probe(),
      async applyNetworkFault(request, context) {
        const call = daemon.call(context);
        if (request.fault === undefined)
          throw new ChaosplaneError('invalid', 'a network fault is required', { field: 'fault' });
        const fault = NetworkFault.fromPartial(request.fault);
        checkCapabilities(fault, await probe(), hostname());
        const container = await call.container(request.containerId);
        // As the journal keeps it (JSON), so a repeated apply after a restart is found in place.
        return container.contribute(network, 'fault', JSON.parse(JSON.stringify(fault)) as NetworkFault);
      },
      async recoverNetworkFault(_request, context) {
        return { removed: await daemon.call(context).revert('fault') };
      },
    };
  },
});
