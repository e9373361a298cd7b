// SPDX-License-Identifier: Apache-2.0
// The PodChaos kind: Chaos Mesh's spec and messages, one-shot actions and the selector map.
import { describe, expect, it } from '@jest/globals';
import { validateChaosObject } from '@chaosplane/engine';
import { type ChaosObject } from '@chaosplane/sdk';
import plugin, { CONTAINER_NAME_REQUIRED, type PodChaosSpec } from '@chaosplane/experiment-podchaos';

const kind = plugin.kind;

function obj(spec: Record<string, unknown>): ChaosObject<PodChaosSpec> {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    metadata: { name: 'p', namespace: 'default' },
    spec: spec as PodChaosSpec,
  };
}

const base = { selector: { namespaces: ['default'] }, mode: 'one' };

describe('PodChaos kind', () => {
  it('is chaos-mesh.org/v1alpha1 PodChaos, plural podchaos, exported as a plugin', () => {
    expect(plugin.kind.apiVersion).toBe('chaos-mesh.org/v1alpha1');
    expect(plugin.kind.kind).toBe('PodChaos');
    expect(plugin.kind.plural).toBe('podchaos');
    expect(plugin.controller).toBeDefined();
  });

  it('accepts each action with Chaos Mesh’s fields', () => {
    expect(validateChaosObject(kind, obj({ ...base, action: 'pod-kill', gracePeriod: 0 }))).toEqual([]);
    expect(validateChaosObject(kind, obj({ ...base, action: 'pod-failure', duration: '30s' }))).toEqual([]);
    expect(
      validateChaosObject(kind, obj({ ...base, action: 'container-kill', containerNames: ['prometheus'] })),
    ).toEqual([]);
  });

  it('requires containerNames on container-kill, with Chaos Mesh’s message', () => {
    for (const spec of [
      { ...base, action: 'container-kill' },
      { ...base, action: 'container-kill', containerNames: [] },
    ]) {
      expect(validateChaosObject(kind, obj(spec))).toEqual([
        { field: 'spec.containerNames', message: CONTAINER_NAME_REQUIRED },
      ]);
    }
  });

  it('refuses an unknown action, a negative or fractional grace period and a bad duration, naming the field', () => {
    const fields = (spec: Record<string, unknown>) => validateChaosObject(kind, obj(spec)).map(v => v.field);
    expect(validateChaosObject(kind, obj({ ...base, action: 'pod-explode' }))[0]).toMatchObject({
      field: 'spec.action',
      message: expect.stringContaining(
        'supported values: "pod-kill", "pod-failure", "container-kill"',
      ) as unknown,
    });
    expect(fields({ ...base, action: 'pod-kill', gracePeriod: -1 })).toEqual(['spec.gracePeriod']);
    expect(fields({ ...base, action: 'pod-kill', gracePeriod: 1.5 })).toEqual(['spec.gracePeriod']);
    expect(validateChaosObject(kind, obj({ ...base, action: 'pod-failure', duration: '30' }))).toEqual([
      { field: 'spec.duration', message: 'parse duration field error: time: missing unit in duration "30"' },
    ]);
    expect(
      validateChaosObject(kind, obj({ ...base, mode: 'fixed', value: '0', action: 'pod-kill' })),
    ).toEqual([{ field: 'spec.value', message: 'value must be greater than 0 with mode:fixed' }]);
  });

  it('is one-shot for pod-kill and container-kill only', () => {
    expect(kind.isOneShot(obj({ ...base, action: 'pod-kill' }))).toBe(true);
    expect(kind.isOneShot(obj({ ...base, action: 'container-kill' }))).toBe(true);
    expect(kind.isOneShot(obj({ ...base, action: 'pod-failure' }))).toBe(false);
  });

  it('selects pods for pod-kill and pod-failure, containers for container-kill', () => {
    expect(kind.selectors(obj({ ...base, action: 'pod-kill' }))['.']!.kind).toBe('pod');
    expect(kind.selectors(obj({ ...base, action: 'pod-failure' }))['.']!.kind).toBe('pod');
    const ref = kind.selectors(obj({ ...base, action: 'container-kill', containerNames: ['a'] }))['.']!;
    expect(ref).toMatchObject({ kind: 'container', spec: { containerNames: ['a'], mode: 'one' } });
    expect(kind.duration(obj({ ...base, action: 'pod-failure', duration: '30s' }))).toBe('30s');
  });
});
