// SPDX-License-Identifier: Apache-2.0
// NetworkChaos validation through the engine's validator (schema, semantic keywords, the kind's
// rules): Chaos Mesh's webhook messages where it has them, and the refusals beyond Chaos Mesh.
// Chaos Mesh's own examples (test/fixtures/chaos-mesh) validate unchanged.
import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { validateRules } from '@chaosplane/cel';
import { crdSpecSchema, validateChaosObject } from '@chaosplane/engine';
import type { ChaosObject } from '@chaosplane/sdk';
import plugin, { type NetworkChaosSpec } from '../src/index.js';

const kind = plugin.kind;
const fixtures = new URL('./fixtures/chaos-mesh/', import.meta.url);

/** A NetworkChaos with `spec` merged over a valid partition. */
function chaos(spec: Record<string, unknown>): ChaosObject<NetworkChaosSpec> {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'NetworkChaos',
    metadata: { name: 'n', namespace: 'default' },
    spec: {
      action: 'partition',
      mode: 'all',
      selector: { namespaces: ['default'] },
      ...spec,
    } as NetworkChaosSpec,
  };
}

const violations = (spec: Record<string, unknown>) => validateChaosObject(kind, chaos(spec));

describe('NetworkChaos validation', () => {
  it('accepts every example of Chaos Mesh unchanged', async () => {
    const files = (await readdir(fixtures)).filter(f => f.endsWith('.yaml')).sort();
    expect(files).toHaveLength(11);
    for (const file of files) {
      const obj = parse(await readFile(new URL(file, fixtures), 'utf8')) as ChaosObject<NetworkChaosSpec>;
      expect({ file, violations: validateChaosObject(kind, obj) }).toEqual({ file, violations: [] });
    }
  });

  it("accepts the repository's examples (examples/networkchaos-*.yaml)", async () => {
    const examples = new URL('../../../examples/', import.meta.url);
    const files = (await readdir(examples)).filter(f => /^networkchaos-.*\.yaml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const obj = parse(await readFile(new URL(file, examples), 'utf8')) as ChaosObject<NetworkChaosSpec>;
      expect({ file, violations: validateChaosObject(kind, obj) }).toEqual({ file, violations: [] });
    }
  });

  it.each([
    [
      'a percentage that is not a float',
      { action: 'loss', loss: { loss: 'x' } },
      'spec.loss.loss',
      'parse correlation field error:strconv.ParseFloat: parsing "x": invalid syntax',
    ],
    [
      'a correlation with a percent sign',
      { action: 'loss', loss: { loss: '25', correlation: '25%' } },
      'spec.loss.correlation',
      'parse correlation field error:strconv.ParseFloat: parsing "25%": invalid syntax',
    ],
    [
      'a percentage above 100',
      { action: 'corrupt', corrupt: { corrupt: '150' } },
      'spec.corrupt.corrupt',
      '"150" must be a percentage from 0 to 100',
    ],
    [
      'a rate without a unit',
      { action: 'bandwidth', bandwidth: { rate: '10', limit: 1, buffer: 1 } },
      'spec.bandwidth.rate',
      'parse rate field error:invalid unit',
    ],
    [
      'a fractional rate',
      { action: 'bandwidth', bandwidth: { rate: '1.5mbit', limit: 1, buffer: 1 } },
      'spec.bandwidth.rate',
      'parse rate field error:strconv.ParseUint: parsing "1.5": invalid syntax',
    ],
    [
      'a latency the API server pattern refuses',
      { action: 'delay', delay: { latency: '1m30s' } },
      'spec.delay.latency',
      'must match pattern "^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$"',
    ],
    [
      '`from` without a target for traffic control',
      { action: 'delay', delay: { latency: '10ms' }, direction: 'from' },
      'spec.direction',
      '`from` and `both` direction cannot be used when targets is empty in netem action',
    ],
    [
      '`both` with external targets for traffic control',
      {
        action: 'delay',
        delay: { latency: '10ms' },
        direction: 'both',
        target: { mode: 'all', selector: {} },
        externalTargets: ['1.1.1.1'],
      },
      'spec.direction',
      'external targets cannot be used with `from` and `both` direction in netem action yet',
    ],
    [
      'an action without its block',
      { action: 'delay' },
      'spec.delay',
      'Required value: action delay needs delay',
    ],
    [
      'netem without any block',
      { action: 'netem' },
      'spec.action',
      'invalid spec for netem action, at least one is required from delay, loss, duplicate, corrupt',
    ],
    [
      'a block the action ignores',
      { bandwidth: { rate: '1mbps', limit: 1, buffer: 1 } },
      'spec.bandwidth',
      'action partition does not use bandwidth: remove it',
    ],
    [
      'a malformed external target',
      { externalTargets: ['10.0.0.0/33'] },
      'spec.externalTargets[0]',
      '"10.0.0.0/33" is not a valid IPv4 CIDR',
    ],
    [
      'an external target with a bad port',
      { externalTargets: ['example.com:99999'] },
      'spec.externalTargets[0]',
      '"example.com:99999": the port must be a number from 1 to 65535',
    ],
    [
      'an IPv6 external target',
      { externalTargets: ['::1'] },
      'spec.externalTargets[0]',
      '"::1": IPv6 external targets are not supported',
    ],
    [
      'a device name with a slash',
      { device: 'eth0/x' },
      'spec.device',
      '"eth0/x" is not a network interface name',
    ],
    [
      'targetDevice without a target',
      { targetDevice: 'eth1' },
      'spec.targetDevice',
      'targetDevice is used only with target: remove it',
    ],
    [
      'remoteCluster',
      { remoteCluster: 'east' },
      'spec.remoteCluster',
      'remote clusters are not supported by Chaosplane: remove it',
    ],
    [
      'a target value that does not fit its mode',
      { target: { mode: 'fixed', value: '0', selector: {} } },
      'spec.target.value',
      'value must be greater than 0 with mode:fixed',
    ],
    [
      'an unknown direction',
      { direction: 'sideways' },
      'spec.direction',
      'Unsupported value: "sideways": supported values: "to", "from", "both"',
    ],
  ])("refuses %s, in the engine and through the CRD's CEL rules", (_what, spec, field, message) => {
    expect(violations(spec)).toContainEqual({ field, message });
    // What a real API server evaluates at `kubectl apply` (schema-type errors are its own).
    if (!message.startsWith('Unsupported value') && !message.startsWith('must match pattern'))
      expect(
        validateRules(crdSpecSchema(kind), chaos(spec).spec, { path: 'spec' }).map(v => v.field),
      ).toContain(field);
  });

  it('accepts what Chaos Mesh accepts: eth0@if12, rates with spaces and case, `both` for partition without a target', () => {
    expect(violations({ device: 'eth0@if12' })).toEqual([]);
    expect(
      violations({ action: 'bandwidth', bandwidth: { rate: '  10   mbPs  ', limit: 1, buffer: 1 } }),
    ).toEqual([]);
    expect(violations({ direction: 'both' })).toEqual([]);
    expect(
      violations({
        externalTargets: [
          '8.8.8.8',
          'www.example.com',
          '8.8.0.0/16',
          '1.1.1.1:80',
          'example.com:443',
          '10.0.0.0/8:22',
        ],
      }),
    ).toEqual([]);
    // Every netem block is taken with any netem-family action, as Chaos Mesh merges them.
    expect(violations({ action: 'delay', delay: { latency: '10ms' }, loss: { loss: '5' } })).toEqual([]);
    // The CRD's CEL rules accept the same.
    const cel = (spec: Record<string, unknown>) =>
      validateRules(crdSpecSchema(kind), chaos(spec).spec, { path: 'spec' });
    expect(
      cel({
        device: 'eth0@if12',
        externalTargets: [
          '8.8.8.8',
          'www.example.com',
          '8.8.0.0/16',
          '1.1.1.1:80',
          'example.com:443',
          '10.0.0.0/8:22',
        ],
      }),
    ).toEqual([]);
    expect(cel({ action: 'bandwidth', bandwidth: { rate: '  10   mbPs  ', limit: 1, buffer: 1 } })).toEqual(
      [],
    );
  });

  it('selects the target pods under .Target, as Chaos Mesh keys them', () => {
    const obj = chaos({ target: { mode: 'one', selector: { namespaces: ['db'] } } });
    expect(kind.selectors(obj)).toEqual({
      '.': { kind: 'pod', spec: { selector: { namespaces: ['default'] }, mode: 'all' } },
      '.Target': { kind: 'pod', spec: { mode: 'one', selector: { namespaces: ['db'] } } },
    });
    expect(Object.keys(kind.selectors(chaos({})))).toEqual(['.']);
  });
});
