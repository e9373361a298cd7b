// SPDX-License-Identifier: Apache-2.0
// NetworkChaos's controller: per record, the fault its pod gets (from the direction tables, with
// the other side's pod IPs and the external targets) is sent to the daemon on the pod's node; the
// daemon composes it with every other fault on that pod. Recover withdraws it.
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  type ChaosImpl,
  type ImplContext,
  type Pod,
  type PodTarget,
} from '@chaosplane/sdk';
import { missingCapabilities } from './capabilities.js';
import { resolveExternalTargets, type Destination } from './externalTargets.js';
import { NetworkChaosDaemonDefinition } from './gen/chaosplane/networkchaos/v1/networkchaos.js';
import { TARGET_SELECTOR_KEY, type NetworkChaosSpec } from './kind.js';
import { planFault, type Side } from './plan.js';

/** Options of {@link createNetworkChaosImpl}. */
export interface NetworkChaosOptions {
  /** Allow faults on pods with `hostNetwork: true` (they would hit the node itself); off by default, as Chaos Mesh. */
  allowHostNetwork?: boolean;
  /** Resolves external host names; the system resolver by default. */
  resolve?: (host: string) => Promise<string[]>;
}

/** Chaos Mesh's environment switch for faults on hostNetwork pods. */
export const ALLOW_HOST_NETWORK_ENV = 'ALLOW_HOST_NETWORK_TESTING';

type Ctx = ImplContext<NetworkChaosSpec, PodTarget>;

/** The pod's IP as a destination, or undefined while it has none. */
function podDestination(pod: Pod): Destination | undefined {
  const ip = pod.status?.podIP;
  return ip ? { cidr: `${ip}/32` } : undefined;
}

/** The IPs of the pods another selector of the object picked. */
async function podIPsOf(ctx: Ctx, selectorKey: string): Promise<Destination[]> {
  const targets = await ctx.targetsOf(selectorKey);
  return targets.flatMap(t => {
    const destination = 'pod' in t ? podDestination((t as PodTarget).pod) : undefined;
    return destination ? [destination] : [];
  });
}

/**
 * The other side of a record: a source's targets and external targets, a target's sources.
 * Undefined when a source has no other side at all (its fault then covers every packet).
 */
async function peersOf(
  ctx: Ctx,
  side: Side,
  resolve: NetworkChaosOptions['resolve'],
): Promise<Destination[] | undefined> {
  const { spec } = ctx.obj;
  if (side === 'target') return nonEmpty(await podIPsOf(ctx, '.'), 'none of the selected pods has an IP yet');
  const external = spec.externalTargets ?? [];
  if (spec.target === undefined && external.length === 0) return undefined;
  const pods = spec.target === undefined ? [] : await podIPsOf(ctx, TARGET_SELECTOR_KEY);
  const resolved = await resolveExternalTargets(external, resolve);
  return nonEmpty([...pods, ...resolved], 'none of the target pods has an IP yet');
}

/** Peers that exist: an empty list would turn a fault on some peers into none at all. */
function nonEmpty(peers: Destination[], why: string): Destination[] {
  if (peers.length === 0) throw new ChaosplaneError('selection', `${why}; the record is retried`);
  return peers;
}

/** A running container of the pod: the daemon reaches the pod's network namespace through it. */
function containerIdOf(pod: Pod): string {
  const running = pod.status?.containerStatuses?.find(s => s.containerID && s.state?.running);
  if (running?.containerID === undefined)
    throw new ChaosplaneError(
      'not-found',
      `pod ${pod.metadata.namespace}/${pod.metadata.name} has no running container`,
    );
  return running.containerID;
}

/** Refuses a pod on the node's own network, in Chaos Mesh's words, unless allowed. */
function refuseHostNetwork(pod: Pod, allowHostNetwork: boolean): void {
  if (pod.spec?.hostNetwork !== true || allowHostNetwork) return;
  throw new ChaosplaneError(
    'invalid',
    `It's dangerous to inject network chaos on a pod(${pod.metadata.namespace}/${pod.metadata.name}) with \`hostNetwork\``,
    { field: 'spec.selector' },
  );
}

/** The fault the record's pod gets (undefined when its side does nothing). */
async function faultOf(ctx: Ctx, options: NetworkChaosOptions) {
  const side: Side = ctx.record.selectorKey === TARGET_SELECTOR_KEY ? 'target' : 'source';
  return planFault({ spec: ctx.obj.spec, side, peers: await peersOf(ctx, side, options.resolve) });
}

/** Builds the NetworkChaos implementation. */
export function createNetworkChaosImpl(
  options: NetworkChaosOptions = {},
): ChaosImpl<NetworkChaosSpec, PodTarget> {
  const allowHostNetwork = options.allowHostNetwork ?? process.env[ALLOW_HOST_NETWORK_ENV] === 'true';
  return {
    async apply(ctx) {
      const { pod } = ctx.target;
      // The fault would land on the node's own network.
      refuseHostNetwork(pod, allowHostNetwork);
      const fault = await faultOf(ctx, options);
      // This side of the experiment has nothing to do (a target of `to` traffic control).
      if (fault === undefined) return PHASE_INJECTED;
      const { applied } = await ctx
        .daemon(NetworkChaosDaemonDefinition)
        .applyNetworkFault({ containerId: containerIdOf(pod), fault });
      if (applied) ctx.log.info('network fault applied', { device: fault.device, node: ctx.target.nodeName });
      return PHASE_INJECTED;
    },
    async recover(ctx) {
      await ctx.daemon(NetworkChaosDaemonDefinition).recoverNetworkFault({});
      return PHASE_NOT_INJECTED;
    },
    async preflight(ctx) {
      try {
        refuseHostNetwork(ctx.target.pod, allowHostNetwork);
        const fault = await faultOf(ctx, options);
        if (fault === undefined) return [];
        const capabilities = await ctx.daemon(NetworkChaosDaemonDefinition).capabilities({});
        return missingCapabilities(fault, capabilities);
      } catch (error) {
        return [error instanceof Error ? error.message : String(error)];
      }
    },
  };
}
