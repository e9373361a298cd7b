// SPDX-License-Identifier: Apache-2.0
// The network state renderer on real network namespaces (ip netns, a veth pair, iptables, ipset,
// tc): what it installs is what the kernel then reports, packets are really dropped, and an empty
// state leaves each namespace exactly as it was (read back with iptables-save, ipset and tc).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { networkState, type LiveFault } from '../src/daemon/networkState.js';
import { renderNetworkState } from '../src/daemon/renderNetworkState.js';
import { netnsSnapshot, netnsUnavailableReason, shellIn } from './support/netns.js';

const run = promisify(execFile);

describeIf(netnsUnavailableReason())('renderNetworkState on real namespaces', () => {
  const id = randomBytes(3).toString('hex');
  const a = `cp-rt-a-${id}`;
  const b = `cp-rt-b-${id}`;
  const ping = async (ns: string, ip: string) =>
    run('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-c', '1', '-W', '1', ip]).then(
      () => true,
      () => false,
    );
  const fault = (key: string, name: string, f: Partial<LiveFault['fault']>): LiveFault => ({
    key,
    chaos: { namespace: 'ns', name },
    fault: { device: 'eth0', drops: [], trafficControl: undefined, ...f },
  });
  let before: string;

  beforeAll(async () => {
    await run('ip', ['netns', 'add', a]);
    await run('ip', ['netns', 'add', b]);
    await run('ip', ['link', 'add', `va${id}`, 'type', 'veth', 'peer', 'name', `vb${id}`]);
    await run('ip', ['link', 'set', `va${id}`, 'netns', a, 'name', 'eth0']);
    await run('ip', ['link', 'set', `vb${id}`, 'netns', b, 'name', 'eth0']);
    for (const [ns, ip] of [
      [a, '10.99.0.1/24'],
      [b, '10.99.0.2/24'],
    ] as const) {
      await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', ip, 'dev', 'eth0']);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up']);
      await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    }
    before = await netnsSnapshot(a);
  });

  afterAll(async () => {
    await run('ip', ['netns', 'del', a]).catch(() => undefined);
    await run('ip', ['netns', 'del', b]).catch(() => undefined);
  });

  it('a partition to a peer drops its packets, and the empty state removes every trace', async () => {
    expect(await ping(a, '10.99.0.2')).toBe(true);
    const partition = fault('k1', 'cut', {
      drops: [{ direction: 'output', peers: [{ cidr: '10.99.0.2/32', port: 0 }], all: false }],
    });
    await renderNetworkState(networkState([partition]), shellIn(a));
    expect(await ping(a, '10.99.0.2')).toBe(false);
    const { stdout: sets } = await shellIn(a)(['ipset', 'list']);
    expect(sets).toMatch(/Name: cp-[0-9a-f]{10}-n\nType: hash:net/);
    expect(sets).toContain('10.99.0.2');
    // Rendering the same state again changes nothing and keeps one jump.
    await renderNetworkState(networkState([partition]), shellIn(a));
    const { stdout: rules } = await shellIn(a)(['iptables-save']);
    expect(rules.match(/-A OUTPUT -j CHAOSPLANE-OUTPUT/g)).toHaveLength(1);

    await renderNetworkState(networkState([]), shellIn(a));
    expect(await ping(a, '10.99.0.2')).toBe(true);
    expect(await netnsSnapshot(a)).toBe(before);
  });

  it('a bandwidth limit on every packet is a tbf at the root; one on a peer is an htb class chosen by CLASSIFY', async () => {
    const tbf = { rate: '100kbps', buffer: 10000, limit: 100, peakrate: 0, minburst: 0 };
    const global = fault('k2', 'slow', { trafficControl: { tbf, netem: undefined, peers: [], all: true } });
    await renderNetworkState(networkState([global]), shellIn(a));
    let { stdout: qdiscs } = await shellIn(a)(['tc', 'qdisc', 'show', 'dev', 'eth0']);
    expect(qdiscs).toMatch(/^qdisc tbf c000: root .*rate 800Kbit burst 10000b/m);

    const toPeer = fault('k3', 'slow-to-b', {
      trafficControl: { tbf, netem: undefined, peers: [{ cidr: '10.99.0.2/32', port: 0 }], all: false },
    });
    await renderNetworkState(networkState([toPeer]), shellIn(a));
    ({ stdout: qdiscs } = await shellIn(a)(['tc', 'qdisc', 'show', 'dev', 'eth0']));
    expect(qdiscs).toMatch(/^qdisc htb c000: root/m);
    expect(qdiscs).toMatch(/^qdisc tbf c001: parent c000:1 .*rate 800Kbit/m);
    const { stdout: mangle } = await shellIn(a)(['iptables-save', '-t', 'mangle']);
    expect(mangle).toMatch(
      /-A CHAOSPLANE-TC -o eth0 -m set --match-set cp-[0-9a-f]{10}-n dst -j CLASSIFY --set-class c000:0*1/,
    );

    await renderNetworkState(networkState([]), shellIn(a));
    expect(await netnsSnapshot(a)).toBe(before);
  });

  it('refuses to replace a root qdisc it did not install, and changes nothing', async () => {
    await shellIn(b)(['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb']);
    const beforeB = await netnsSnapshot(b);
    const tbf = { rate: '1mbit', buffer: 10000, limit: 100, peakrate: 0, minburst: 0 };
    const slow = fault('k4', 'slow', { trafficControl: { tbf, netem: undefined, peers: [], all: true } });
    await expect(renderNetworkState(networkState([slow]), shellIn(b))).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('eth0 has a root qdisc htb 1: that Chaosplane did not install'),
    });
    expect(await netnsSnapshot(b)).toBe(beforeB);
    await shellIn(b)(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
  });
});
