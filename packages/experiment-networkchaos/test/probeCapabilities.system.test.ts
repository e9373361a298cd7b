// SPDX-License-Identifier: Apache-2.0
// The daemon's kernel-capability probe checked against the kernel: for every qdisc, classifier,
// ipset and the iptables backend the probe reports on, this test makes its own attempt, with its
// own commands and configurations, in a scratch namespace (`ip netns add`), and reads the result
// back (tc ... show, ipset list, iptables-save). The probe's answer must equal the test's on any
// kernel: a probe that claimed netem on a kernel without it (or missed a classifier the kernel
// has) fails here, whatever this machine's kernel has.
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { probeCapabilities } from '../src/daemon/probeCapabilities.js';
import type { CapabilitiesResponse } from '../src/gen/chaosplane/networkchaos/v1/networkchaos.js';
import { netnsUnavailableReason, shellIn } from './support/netns.js';

/** Each qdisc with a configuration of the test's own (not the probe's). */
const QDISCS: Record<string, string[]> = {
  netem: ['netem', 'delay', '20ms', '5ms'],
  tbf: ['tbf', 'rate', '2mbit', 'burst', '32kbit', 'latency', '400ms'],
  htb: ['htb', 'default', '1'],
  prio: ['prio', 'bands', '3'],
};

/** Each classifier's filter, under an htb root with a class 1:1 the test adds. */
const CLASSIFIERS: Record<string, string[]> = {
  u32: ['protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '192.0.2.7/32', 'flowid', '1:1'],
  fw: ['protocol', 'ip', 'prio', '1', 'handle', '7', 'fw', 'classid', '1:1'],
  matchall: ['protocol', 'all', 'prio', '1', 'matchall', 'classid', '1:1'],
};

describeIf(netnsUnavailableReason())("the capability probe agrees with the kernel's own answers", () => {
  const ns = `cp-probe-check-${randomBytes(3).toString('hex')}`;
  const inNs = shellIn(ns);
  const ok = async (argv: string[]) => (await inNs(argv, { allowFailure: true })).exitCode === 0;
  const out = async (argv: string[]) => (await inNs(argv, { allowFailure: true })).stdout;
  const resetTc = () => ok(['tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
  let probed: CapabilitiesResponse;

  beforeAll(async () => {
    await shellIn(undefined)(['ip', 'netns', 'add', ns]);
    await inNs(['ip', 'link', 'set', 'lo', 'up']);
    probed = await probeCapabilities(shellIn(undefined));
    console.log(`probe: ${JSON.stringify(probed)}`);
  });
  afterAll(async () => {
    await shellIn(undefined)(['ip', 'netns', 'del', ns], { allowFailure: true });
  });

  it('each qdisc is reported exactly when the kernel creates it', async () => {
    const found: string[] = [];
    for (const [kind, args] of Object.entries(QDISCS)) {
      const added = await ok(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', ...args]);
      // Created is not enough: the kernel must list it as lo's root.
      const listed = new RegExp(`^qdisc ${kind} 1: root`, 'm').test(
        await out(['tc', 'qdisc', 'show', 'dev', 'lo']),
      );
      expect(added).toBe(listed);
      if (listed) found.push(kind);
      await resetTc();
    }
    expect([...probed.qdiscs].sort()).toEqual(found.sort());
  });

  it('each classifier is reported exactly when the kernel attaches it', async () => {
    const found: string[] = [];
    for (const [kind, args] of Object.entries(CLASSIFIERS)) {
      // The parent and its class, then the filter; an htb the kernel lacks fails the attempt.
      const attached =
        (await ok(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb'])) &&
        (await ok([
          'tc',
          'class',
          'add',
          'dev',
          'lo',
          'parent',
          '1:',
          'classid',
          '1:1',
          'htb',
          'rate',
          '1mbit',
        ])) &&
        (await ok(['tc', 'filter', 'add', 'dev', 'lo', 'parent', '1:', ...args])) &&
        new RegExp(`^filter .* ${kind} `, 'm').test(
          await out(['tc', 'filter', 'show', 'dev', 'lo', 'parent', '1:']),
        );
      if (attached) found.push(kind);
      await resetTc();
    }
    expect([...probed.classifiers].sort()).toEqual(found.sort());
  });

  it('ipset is reported exactly when a set can be created in a namespace', async () => {
    const created =
      (await ok(['ipset', 'create', 'cp-check', 'hash:ip'])) &&
      (await out(['ipset', 'list', '-n'])).split('\n').includes('cp-check');
    await ok(['ipset', 'destroy', 'cp-check']);
    expect(probed.ipset).toBe(created);
  });

  it('the iptables backend is the one the iptables binary is, and CLASSIFY is reported when it installs', async () => {
    // Which multi-call binary `iptables` resolves to (through Debian's alternatives) names the
    // backend without asking iptables itself.
    let binary = '';
    for (const dir of (process.env['PATH'] ?? '').split(':')) {
      binary = await realpath(path.join(dir, 'iptables')).catch(() => '');
      if (binary !== '') break;
    }
    const backend = /nft/.test(path.basename(binary)) ? 'nf_tables' : binary === '' ? '' : 'legacy';
    expect(probed.iptablesBackend).toBe(backend);

    const classify =
      backend !== '' &&
      (await ok([
        'iptables',
        '-t',
        'mangle',
        '-A',
        'POSTROUTING',
        '-o',
        'lo',
        '-j',
        'CLASSIFY',
        '--set-class',
        '1:7',
      ])) &&
      /-A POSTROUTING -o lo -j CLASSIFY --set-class 0*1:0*7/.test(
        await out(['iptables-save', '-t', 'mangle']),
      );
    await ok(['iptables', '-t', 'mangle', '-F', 'POSTROUTING']);
    expect(probed.iptablesClassify).toBe(classify);
  });
});
