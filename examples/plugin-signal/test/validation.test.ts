// SPDX-License-Identifier: Apache-2.0
// SignalChaos's schema as users meet it: validation messages naming the field (through the engine's
// public validateChaosObject), the generated CRD, and the daemon-side signal check.
import { readFile } from 'node:fs/promises';

import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError, type ChaosObject } from '@chaosplane/sdk';
import { generateCrd, structuralViolations, validateChaosObject, type JsonSchema } from '@chaosplane/engine';
import { isChaosPlugin } from '@chaosplane/sdk/framework';
import { parse } from 'yaml';

import plugin, { SUPPORTED_SIGNALS, requireSupportedSignal, type SignalChaosSpec } from '../src/index.js';

const validSpec = { selector: { namespaces: ['busybox'] }, mode: 'one', signal: 'SIGKILL' };

function violationsOf(spec: unknown) {
  return validateChaosObject(plugin.kind, { spec });
}

describe('SignalChaos validation', () => {
  it('accepts a valid spec, with or without a duration', () => {
    expect(violationsOf(validSpec)).toEqual([]);
    expect(violationsOf({ ...validSpec, duration: '30s', containerNames: ['web'] })).toEqual([]);
  });

  it('accepts every supported signal', () => {
    for (const signal of SUPPORTED_SIGNALS) expect(violationsOf({ ...validSpec, signal })).toEqual([]);
  });

  it('names spec.signal and the supported values for an unknown signal', () => {
    const violations = violationsOf({ ...validSpec, signal: 'SIGSEGV' });
    expect(violations).toHaveLength(1);
    expect(violations[0]?.field).toBe('spec.signal');
    expect(violations[0]?.message).toMatch(
      /^Unsupported value: "SIGSEGV": supported values: "SIGTERM", "SIGKILL"/,
    );
  });

  it('requires the signal', () => {
    const { signal: _signal, ...withoutSignal } = validSpec;
    expect(violationsOf(withoutSignal)).toEqual([{ field: 'spec.signal', message: 'Required value' }]);
  });

  it("checks the duration, the selector's mode and value, and unknown fields", () => {
    expect(violationsOf({ ...validSpec, duration: '5 minutes' })).toEqual([
      expect.objectContaining({
        field: 'spec.duration',
        message: expect.stringMatching(/^parse duration field error/),
      }),
    ]);
    expect(violationsOf({ ...validSpec, mode: 'fixed', value: '0' })).toEqual([
      { field: 'spec.value', message: 'value must be greater than 0 with mode:fixed' },
    ]);
    expect(violationsOf({ ...validSpec, signals: ['SIGKILL'] })).toEqual([
      { field: 'spec.signals', message: 'unknown field "signals"' },
    ]);
  });

  it('accepts the example manifest', async () => {
    const manifest = parse(await readFile(new URL('../signalchaos.yaml', import.meta.url), 'utf8'));
    expect(manifest).toMatchObject({ apiVersion: plugin.kind.apiVersion, kind: 'SignalChaos' });
    expect(validateChaosObject(plugin.kind, manifest)).toEqual([]);
  });
});

describe('SignalChaos plugin', () => {
  it('is a one-shot, namespaced chaos-mesh.org/v1alpha1 kind selecting containers', () => {
    expect(isChaosPlugin(plugin)).toBe(true);
    expect(plugin.kind).toMatchObject({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'SignalChaos',
      plural: 'signalchaos',
      namespaced: true,
    });
    const obj = {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'SignalChaos',
      metadata: { name: 'x', namespace: 'busybox' },
      spec: validSpec,
    } as ChaosObject<SignalChaosSpec>;
    expect(plugin.kind.isOneShot(obj)).toBe(true);
    expect(plugin.kind.selectors(obj)).toEqual({ '.': { kind: 'container', spec: validSpec } });
    expect(plugin.daemon?.service.fullName).toBe('chaosplane.examples.signal.v1.SignalDaemon');
  });

  it('generates a structural CRD whose schema lists the signals and requires one', () => {
    const crd = generateCrd(plugin.kind);
    expect(crd.metadata.name).toBe('signalchaos.chaos-mesh.org');
    // generateCrd writes one version.
    const { openAPIV3Schema } = crd.spec.versions[0]!.schema;
    const spec = (openAPIV3Schema.properties as Record<string, JsonSchema>)['spec'];
    expect(spec?.required).toContain('signal');
    expect((spec?.properties as Record<string, JsonSchema>)['signal']).toMatchObject({
      type: 'string',
      enum: [...SUPPORTED_SIGNALS],
    });
    expect(structuralViolations(openAPIV3Schema)).toEqual([]);
  });
});

describe('requireSupportedSignal (the daemon-side check)', () => {
  it('passes supported signals through', () => {
    expect(requireSupportedSignal('SIGSTOP')).toBe('SIGSTOP');
  });

  it.each([['SIGSEGV'], [''], ['sigkill'], ['SIGKILL; rm -rf /'], [9], [undefined]])(
    'refuses %p with an invalid error naming the field',
    value => {
      let error: unknown;
      try {
        requireSupportedSignal(value);
      } catch (caught) {
        error = caught;
      }
      expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
      expect((error as ChaosplaneError).field).toBe('signal');
      expect((error as Error).message).toMatch(
        /^signal: Unsupported value: .*supported values: SIGTERM, SIGKILL/,
      );
    },
  );
});
