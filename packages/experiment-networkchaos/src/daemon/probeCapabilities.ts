// SPDX-License-Identifier: Apache-2.0
// What this node can do for NetworkChaos, probed for real once per daemon: each tc qdisc and
// classifier is created on the loopback of a throw-away network namespace (`unshare --net`), so a
// kernel without a module (sch_netem, cls_u32…) is found before any pod is touched.
import type { CapabilitiesResponse } from '../gen/chaosplane/networkchaos/v1/networkchaos.js';
import type { NamespaceShell } from './renderNetworkState.js';

/** The qdiscs probed, each with a minimal valid configuration. */
const QDISCS: Record<string, string[]> = {
  netem: ['netem', 'delay', '1ms'],
  tbf: ['tbf', 'rate', '1mbit', 'burst', '10000', 'limit', '10000'],
  htb: ['htb'],
  prio: ['prio'],
};

/** The classifiers probed, each attached under an htb root. */
const CLASSIFIERS: Record<string, string[]> = {
  u32: ['u32', 'match', 'ip', 'dst', '10.0.0.1/32', 'flowid', '1:1'],
  fw: ['handle', '1', 'fw', 'flowid', '1:1'],
  matchall: ['matchall', 'flowid', '1:1'],
};

/** Runs `argv` in a new, empty network namespace; true when it exits 0. */
type FreshNamespace = (argv: string[], stdin?: string) => Promise<boolean>;

/** A {@link FreshNamespace} over a host shell: `unshare --net` around each command. */
export function freshNamespace(run: NamespaceShell): FreshNamespace {
  return async (argv, stdin) =>
    (
      await run(['unshare', '--net', ...argv], {
        allowFailure: true,
        ...(stdin !== undefined ? { stdin } : {}),
      })
    ).exitCode === 0;
}

/** Probes the node: which qdiscs and classifiers work, ipset, the iptables backend and CLASSIFY. */
export async function probeCapabilities(run: NamespaceShell): Promise<CapabilitiesResponse> {
  const fresh = freshNamespace(run);
  const qdiscs: string[] = [];
  for (const [kind, args] of Object.entries(QDISCS))
    if (await fresh(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', ...args])) qdiscs.push(kind);
  const classifiers: string[] = [];
  if (qdiscs.includes('htb')) {
    for (const [kind, args] of Object.entries(CLASSIFIERS)) {
      // Two commands in one namespace: tc's batch mode reads them from stdin (no shell).
      const batch = `qdisc add dev lo root handle 1: htb\nfilter add dev lo parent 1: protocol ip prio 1 ${args.join(' ')}\n`;
      if (await fresh(['tc', '-batch', '-'], batch)) classifiers.push(kind);
    }
  }
  const ipset = await fresh(['ipset', 'create', 'cp-probe', 'hash:net']);
  const version = await run(['iptables', '-V'], { allowFailure: true });
  const backend =
    version.exitCode === 0 ? (/\((nf_tables|legacy)\)/.exec(version.stdout)?.[1] ?? 'legacy') : '';
  const classify =
    backend !== '' &&
    (await fresh(['iptables', '-t', 'mangle', '-A', 'POSTROUTING', '-j', 'CLASSIFY', '--set-class', '1:1']));
  return { qdiscs, classifiers, ipset, iptablesBackend: backend, iptablesClassify: classify };
}
