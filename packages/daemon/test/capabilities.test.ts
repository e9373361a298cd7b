// SPDX-License-Identifier: Apache-2.0
// The capabilities a plugin's daemon handler declares: read against the daemon's effective set
// (/proc/self/status), and a service whose capabilities are missing refuses every call with one
// message naming them. (operator/test/daemonCapabilities.system.test.ts runs a daemon confined
// without NET_ADMIN and shows a NetworkChaos failing with that message.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError, type ChaosPlugin } from '@chaosplane/sdk';
import { captureLogger } from '@chaosplane/testing/helpers';
import { checkCapabilityNames, effectiveCapabilities } from '../src/process/capabilities.js';
import { daemonHandlersOf } from '../src/plugin/daemonHandlersOf.js';
import { gateOnCapabilities } from '../src/plugin/gateOnCapabilities.js';
import { ProbeDefinition, probePlugin } from './support/probePlugin.js';

describe('daemon capabilities', () => {
  it('reads the effective set of a /proc status by bit', () => {
    // CapEff 0x3000 = bits 12 and 13; 0x1000000 = bit 24.
    expect([...effectiveCapabilities('Name:\tx\nCapEff:\t0000000000003000\n')]).toEqual([
      'NET_ADMIN',
      'NET_RAW',
    ]);
    expect([...effectiveCapabilities('CapEff:\t0000000001000000\n')]).toEqual(['SYS_RESOURCE']);
    expect(() => effectiveCapabilities('Name:\tx\n')).toThrow('no CapEff line');
    // This process's, as the daemon reads its own.
    const own = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    expect(effectiveCapabilities().size).toBe(BigInt(`0x${own}`).toString(2).replaceAll('0', '').length);
  });

  it('refuses a name Linux does not have, as a JavaScript plugin could write it', () => {
    expect(() => checkCapabilityNames(['NET_ADMIN'], 'p')).not.toThrow();
    expect(() => checkCapabilityNames(['CAP_NET_ADMIN'], 'plugin of kind X')).toThrow(
      'plugin of kind X: capability "CAP_NET_ADMIN" is not a Linux capability (write it as Kubernetes does: NET_ADMIN, without CAP_)',
    );
    const plugin = {
      kind: { kind: 'X' },
      daemon: { ...probePlugin, capabilities: ['NET_ADMIN', 'NETADMIN'] },
    } as unknown as ChaosPlugin;
    expect(() => daemonHandlersOf([plugin])).toThrow('capability "NETADMIN" is not a Linux capability');
  });

  it('serves the handler when the daemon has what it declared, and refuses every method otherwise', () => {
    const declared = { ...probePlugin, capabilities: ['NET_ADMIN', 'NET_RAW'] as const };
    const handler = { whoCalls: () => 'served', wait: () => 'served' };
    const { log, lines } = captureLogger('daemon');
    expect(gateOnCapabilities(declared, handler, new Set(['NET_ADMIN', 'NET_RAW', 'KILL']), log)).toBe(
      handler,
    );
    expect(lines).toEqual([]);

    const gated = gateOnCapabilities(declared, handler, new Set(['NET_RAW']), log) as Record<
      string,
      () => unknown
    >;
    expect(Object.keys(gated).sort()).toEqual(Object.keys(ProbeDefinition.methods).sort());
    const message =
      "test.plugin.v1.Probe needs the capabilities NET_ADMIN, which this daemon does not have: add them to the daemon container's securityContext.capabilities.add (deploy/daemon.yaml)";
    for (const method of Object.values(gated)) {
      expect(method).toThrow(message);
      try {
        method();
      } catch (error) {
        expect(ChaosplaneError.isKind(error, 'unsupported')).toBe(true);
      }
    }
    expect(lines).toEqual([expect.objectContaining({ level: 'error', message, missing: ['NET_ADMIN'] })]);
  });
});
