// SPDX-License-Identifier: Apache-2.0
// From a record to its pod's fault (Chaos Mesh's direction tables), from faults to the whole
// state of a namespace (sets, rules, qdiscs: what tc and iptables are told, argv by argv, including
// netem's, which this machine's kernel cannot run), external targets and capabilities.
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { networkState, netemArgs, type LiveFault } from '../src/daemon/networkState.js';
import { checkCapabilities, requirementsOf } from '../src/capabilities.js';
import { parseExternalTarget, resolveExternalTargets } from '../src/externalTargets.js';
import type { NetworkFault } from '../src/gen/chaosplane/networkchaos/v1/networkchaos.js';
import type { NetworkChaosSpec } from '../src/kind.js';
import { netemOf, planFault } from '../src/plan.js';
import { parseRate } from '../src/rate.js';

const peers = [{ cidr: '10.0.0.2/32' }];
const spec = (s: Partial<NetworkChaosSpec>) =>
  ({ mode: 'all', selector: {}, action: 'partition', ...s }) as NetworkChaosSpec;

describe('planFault: Chaos Mesh direction tables', () => {
  it.each([
    ['to', 'source', ['output']],
    ['to', 'target', ['input']],
    ['from', 'source', ['input']],
    ['from', 'target', ['output']],
    ['both', 'source', ['output', 'input']],
    ['both', 'target', ['input', 'output']],
  ] as const)('partition %s on a %s drops %j', (direction, side, chains) => {
    const fault = planFault({ spec: spec({ direction }), side, peers });
    expect(fault?.drops.map(d => d.direction)).toEqual(chains);
    expect(fault?.drops.every(d => !d.all && d.peers[0]?.cidr === '10.0.0.2/32')).toBe(true);
  });

  it('partition with no other side drops every packet of its direction', () => {
    expect(planFault({ spec: spec({}), side: 'source', peers: undefined })?.drops).toEqual([
      { direction: 'output', peers: [], all: true },
    ]);
  });

  it.each([
    ['to', 'source', true],
    ['to', 'target', false],
    ['from', 'source', false],
    ['from', 'target', true],
    ['both', 'source', true],
    ['both', 'target', true],
  ] as const)('traffic control %s on a %s shapes egress: %s', (direction, side, shapes) => {
    const s = spec({ action: 'bandwidth', direction, bandwidth: { rate: '1mbps', limit: 10, buffer: 20 } });
    const fault = planFault({ spec: s, side, peers });
    expect(fault !== undefined).toBe(shapes);
    if (fault)
      expect(fault.trafficControl?.tbf).toEqual({
        rate: '1mbps',
        buffer: 20,
        limit: 10,
        peakrate: 0,
        minburst: 0,
      });
  });

  it('uses device for sources (eth0@if12 is eth0) and targetDevice for targets, eth0 by default', () => {
    expect(planFault({ spec: spec({ device: 'eth1@if12' }), side: 'source', peers })?.device).toBe('eth1');
    expect(planFault({ spec: spec({ targetDevice: 'net1' }), side: 'target', peers })?.device).toBe('net1');
    expect(planFault({ spec: spec({}), side: 'target', peers })?.device).toBe('eth0');
  });

  it('merges every netem block, and tc reads netem as Chaos Mesh writes it', () => {
    const netem = netemOf(
      spec({
        action: 'netem',
        delay: { latency: '90ms', jitter: '0.5ms', correlation: '25', reorder: { reorder: '10', gap: 5 } },
        loss: { loss: '25', correlation: '25' },
        rate: { rate: '1 MBPS' },
      }),
    );
    expect(netemArgs(netem)).toEqual([
      'netem',
      'delay',
      '90000us',
      '500us', // Chaos Mesh compares "0.5ms" > "0ms" as strings and drops it; parsed, it is kept
      '25%',
      'reorder',
      '10%',
      '0%',
      'gap',
      '5',
      'loss',
      '25%',
      '25%',
      'rate',
      '1mbps',
    ]);
  });
});

describe('networkState: what a namespace holds for its live faults', () => {
  const live = (key: string, name: string, fault: Partial<NetworkFault>): LiveFault => ({
    key,
    chaos: { namespace: 'ns', name },
    fault: { device: 'eth0', drops: [], trafficControl: undefined, ...fault },
  });
  const tbf = { rate: '1mbps', buffer: 10000, limit: 100, peakrate: 0, minburst: 0 };
  const netem = netemOf(spec({ action: 'delay', delay: { latency: '10ms' } }));

  it('gives each drop its sets (ports apart) and a rule per set', () => {
    const state = networkState([
      live('k', 'cut', {
        drops: [
          {
            direction: 'input',
            peers: [
              { cidr: '10.0.0.2/32', port: 0 },
              { cidr: '1.1.1.1/32', port: 80 },
            ],
            all: false,
          },
        ],
      }),
    ]);
    expect(state.sets.map(s => [s.type, s.members])).toEqual([
      ['hash:net', ['10.0.0.2/32']],
      ['hash:net,port', ['1.1.1.1/32,80']],
    ]);
    expect(state.filter.input).toEqual([
      `-A CHAOSPLANE-INPUT -i eth0 -m set --match-set ${state.sets[0]!.name} src -j DROP`,
      `-A CHAOSPLANE-INPUT -i eth0 -m set --match-set ${state.sets[1]!.name} src,src -j DROP`,
    ]);
  });

  it('stacks faults on the same packets (each qdisc the child of the one before)', () => {
    const state = networkState([
      live('a', 'slow', { trafficControl: { tbf, netem: undefined, peers: [], all: true } }),
      live('b', 'late', { trafficControl: { netem, tbf: undefined, peers: [], all: true } }),
    ]);
    expect(state.tc).toEqual([
      {
        device: 'eth0',
        commands: [
          [
            'qdisc',
            'add',
            'dev',
            'eth0',
            'root',
            'handle',
            'c000:',
            'tbf',
            'rate',
            '1mbps',
            'burst',
            '10000',
            'limit',
            '100',
          ],
          ['qdisc', 'add', 'dev', 'eth0', 'parent', 'c000:1', 'handle', 'c001:', 'netem', 'delay', '10000us'],
        ],
      },
    ]);
    expect(state.mangle).toEqual([]);
  });

  it('gives disjoint peers classes of their own under htb, chosen by CLASSIFY', () => {
    const state = networkState([
      live('a', 'slow-b', {
        trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.0.0.2/32', port: 0 }], all: false },
      }),
      live('b', 'slow-c', {
        trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.0.0.3/32', port: 0 }], all: false },
      }),
    ]);
    expect(state.tc[0]!.commands.map(c => c.join(' '))).toEqual([
      'qdisc add dev eth0 root handle c000: htb',
      'class add dev eth0 parent c000: classid c000:1 htb rate 100gbit',
      'qdisc add dev eth0 parent c000:1 handle c001: tbf rate 1mbps burst 10000 limit 100',
      'class add dev eth0 parent c000: classid c000:2 htb rate 100gbit',
      'qdisc add dev eth0 parent c000:2 handle c002: tbf rate 1mbps burst 10000 limit 100',
    ]);
    expect(state.mangle).toHaveLength(2);
    expect(state.mangle[1]).toMatch(
      /-A CHAOSPLANE-TC -o eth0 -m set --match-set cp-[0-9a-f]{10}-n dst -j CLASSIFY --set-class c000:2$/,
    );
  });

  it('refuses overlapping but different peers, naming the other experiment', () => {
    const faults = [
      live('a', 'slow-all', { trafficControl: { tbf, netem: undefined, peers: [], all: true } }),
      live('b', 'slow-b', {
        trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.0.0.2/32', port: 0 }], all: false },
      }),
    ];
    expect(() => networkState(faults)).toThrow(
      'cannot compose with NetworkChaos ns/slow-all on eth0: both shape the same packets with different peers',
    );
    const subnets = [
      live('a', 'slow-net', {
        trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.0.0.0/24', port: 0 }], all: false },
      }),
      live('b', 'slow-b', {
        trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.0.0.2/32', port: 0 }], all: false },
      }),
    ];
    expect(() => networkState(subnets)).toThrow('traffic to 10.0.0.0/24 and 10.0.0.2/32');
  });

  it('partitions and shaping compose: an empty state holds nothing', () => {
    expect(networkState([])).toEqual({ sets: [], filter: { input: [], output: [] }, mangle: [], tc: [] });
  });
});

describe('external targets, rates and capabilities', () => {
  it('parses IPs, CIDRs (normalised), names and ports; resolves names through the given resolver', async () => {
    expect(parseExternalTarget('8.8.1.1/16')).toEqual({ kind: 'cidr', host: '8.8.0.0/16' });
    expect(parseExternalTarget('example.com:443')).toEqual({ kind: 'name', host: 'example.com', port: 443 });
    expect(
      await resolveExternalTargets(['1.1.1.1:80', 'db.example', '10.0.0.0/8'], () =>
        Promise.resolve(['192.0.2.7', '192.0.2.8']),
      ),
    ).toEqual([
      { cidr: '1.1.1.1/32', port: 80 },
      { cidr: '192.0.2.7/32' },
      { cidr: '192.0.2.8/32' },
      { cidr: '10.0.0.0/8' },
    ]);
  });

  it('reads rates as tc does (bps is bytes per second)', () => {
    expect(parseRate('100kbps')).toEqual({ tc: '100kbps', bitsPerSecond: 800_000 });
    expect(parseRate(' 10 MBit ')).toEqual({ tc: '10mbit', bitsPerSecond: 10_000_000 });
  });

  it('refuses a fault the node cannot do, naming what is missing', () => {
    const caps = {
      qdiscs: ['tbf', 'htb'],
      classifiers: [],
      ipset: true,
      iptablesBackend: 'nf_tables',
      iptablesClassify: true,
    };
    const delay: NetworkFault = {
      device: 'eth0',
      drops: [],
      trafficControl: {
        netem: netemOf(spec({ action: 'delay', delay: { latency: '1ms' } })),
        tbf: undefined,
        peers: [],
        all: true,
      },
    };
    let error: unknown;
    try {
      checkCapabilities(delay, caps, 'node-1');
    } catch (e) {
      error = e;
    }
    expect(ChaosplaneError.isKind(error, 'unsupported')).toBe(true);
    expect((error as Error).message).toBe(
      "this node's kernel has no sch_netem (tc qdisc netem) (node node-1)",
    );
    const filteredBandwidth: NetworkFault = {
      device: 'eth0',
      drops: [],
      trafficControl: {
        tbf: { rate: '1mbps', buffer: 1, limit: 1, peakrate: 0, minburst: 0 },
        netem: undefined,
        peers: [{ cidr: '10.0.0.2/32', port: 0 }],
        all: false,
      },
    };
    expect(() => checkCapabilities(filteredBandwidth, caps, 'n')).not.toThrow();
    expect(requirementsOf(filteredBandwidth).map(r => r.missing)).toEqual([
      'ipset cannot create sets (the ipset tool or the ip_set module is missing)',
      'kernel has no sch_tbf (tc qdisc tbf)',
      'kernel has no sch_htb (tc qdisc htb), needed to shape traffic to targets only',
      'iptables has no CLASSIFY target, needed to shape traffic to targets only',
    ]);
  });
});
