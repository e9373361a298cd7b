// SPDX-License-Identifier: Apache-2.0
// What a fault needs of its node (tc qdiscs, ipset, iptables and its CLASSIFY target), in the
// words a refusal gives: the daemon refuses with them at apply, `chaosplane explain` shows them
// before anything runs.
import { ChaosplaneError } from '@chaosplane/sdk';
import type { CapabilitiesResponse, NetworkFault } from './gen/chaosplane/networkchaos/v1/networkchaos.js';

/** What a fault needs of the node, each with the words of a refusal. */
export function requirementsOf(
  fault: NetworkFault,
): { ok: (c: CapabilitiesResponse) => boolean; missing: string }[] {
  const needs: { ok: (c: CapabilitiesResponse) => boolean; missing: string }[] = [];
  const filtered =
    fault.drops.some(d => !d.all) || (fault.trafficControl !== undefined && !fault.trafficControl.all);
  if (fault.drops.length > 0)
    needs.push({ ok: c => c.iptablesBackend !== '', missing: 'iptables is missing' });
  if (filtered)
    needs.push({
      ok: c => c.ipset,
      missing: 'ipset cannot create sets (the ipset tool or the ip_set module is missing)',
    });
  const tc = fault.trafficControl;
  if (tc?.netem)
    needs.push({ ok: c => c.qdiscs.includes('netem'), missing: 'kernel has no sch_netem (tc qdisc netem)' });
  if (tc?.tbf)
    needs.push({ ok: c => c.qdiscs.includes('tbf'), missing: 'kernel has no sch_tbf (tc qdisc tbf)' });
  if (tc && !tc.all) {
    needs.push({
      ok: c => c.qdiscs.includes('htb'),
      missing: 'kernel has no sch_htb (tc qdisc htb), needed to shape traffic to targets only',
    });
    needs.push({
      ok: c => c.iptablesClassify,
      missing: 'iptables has no CLASSIFY target, needed to shape traffic to targets only',
    });
  }
  return needs;
}

/** What the node lacks for `fault`, each as `this node's …`; empty when nothing. */
export function missingCapabilities(fault: NetworkFault, capabilities: CapabilitiesResponse): string[] {
  return requirementsOf(fault)
    .filter(need => !need.ok(capabilities))
    .map(need => `this node's ${need.missing}`);
}

/**
 * Refuses a fault this node cannot apply, before anything is changed.
 * @throws ChaosplaneError of kind `unsupported` naming what is missing
 */
export function checkCapabilities(
  fault: NetworkFault,
  capabilities: CapabilitiesResponse,
  node: string,
): void {
  const missing = requirementsOf(fault).filter(need => !need.ok(capabilities));
  if (missing.length === 0) return;
  throw new ChaosplaneError(
    'unsupported',
    `this node's ${missing.map(m => m.missing).join('; ')} (node ${node})`,
    {
      field: 'spec.action',
    },
  );
}
