// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Type } from '@sinclair/typebox';
import { parse } from 'yaml';
import { crdToYaml, generateCrd } from '../src/crd/generateCrd.js';
import { structuralViolations } from '../src/crd/structural.js';
import { type JsonSchema } from '../src/api/jsonSchema.js';
import { compileErrors } from '@chaosplane/cel';
import { sampleKind } from './support/sampleKind.js';

describe('generateCrd', () => {
  const crd = generateCrd(sampleKind);
  // generateCrd writes one version, with a spec.
  const version = crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema;
  const spec = (root['properties'] as Record<string, JsonSchema>)['spec']!;

  it('validates against the apiextensions.k8s.io/v1 CustomResourceDefinition schema', () => {
    expect(() => new CustomResourceDefinition(crd as never).validate()).not.toThrow();
  });

  it('is rejected by that schema when broken, so the check above means something', () => {
    const broken = structuredClone(crd) as unknown as { spec: { scope: unknown } };
    broken.spec.scope = 42;
    expect(() => new CustomResourceDefinition(broken as never).validate()).toThrow(/scope/);
  });

  it('follows the structural-schema rules', () => {
    expect(structuralViolations(root)).toEqual([]);
  });

  it('detects structural violations', () => {
    const violations = structuralViolations({
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { labels: { type: 'object' } } },
        a: { properties: { b: { type: 'string' } } },
        c: {
          type: 'object',
          properties: { d: { type: 'string' } },
          additionalProperties: { type: 'string' },
        },
        e: { type: 'string', const: 'x' },
        f: { type: 'array' },
      },
    });
    expect(violations.map(v => v.field).sort()).toEqual(
      [
        'openAPIV3Schema.properties.a.type',
        'openAPIV3Schema.properties.c.additionalProperties',
        'openAPIV3Schema.properties.e.const',
        'openAPIV3Schema.properties.f.items',
        'openAPIV3Schema.properties.metadata',
      ].sort(),
    );
  });

  it('names the resource after plural and group, with a status subresource', () => {
    expect(crd.metadata.name).toBe('samplechaos.chaos-mesh.org');
    expect(crd.spec.names).toMatchObject({
      kind: 'SampleChaos',
      listKind: 'SampleChaosList',
      plural: 'samplechaos',
    });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('shows Action and Duration columns, as Chaos Mesh, only for kinds that have the fields', () => {
    expect(version.additionalPrinterColumns?.map(c => c.name)).toEqual(['Action', 'Duration', 'Age']);
    expect(version.additionalPrinterColumns?.[0]).toEqual({
      name: 'Action',
      type: 'string',
      jsonPath: '.spec.action',
    });
    const noDuration = { ...sampleKind, spec: Type.Object({ mode: Type.String() }) };
    expect(generateCrd(noDuration).spec.versions[0]?.additionalPrinterColumns?.map(c => c.name)).toEqual([
      'Age',
    ]);
  });

  it('maps string maps to additionalProperties and enums to enum, with no Chaosplane keywords left', () => {
    const selector = (spec['properties'] as Record<string, JsonSchema>)['selector'];
    const labels = (selector?.['properties'] as Record<string, JsonSchema>)['labelSelectors'];
    expect(labels).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect((spec['properties'] as Record<string, JsonSchema>)['mode']).toMatchObject({
      type: 'string',
      enum: ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'],
    });
    const text = JSON.stringify(root);
    for (const keyword of [
      'goDuration',
      'podSelectorValue',
      'podPhases',
      'labelRequirement',
      'patternProperties',
    ]) {
      expect(text).not.toContain(keyword);
    }
  });

  it('makes the spec immutable with Chaos Mesh’s message, enforced by the API server', () => {
    expect((spec['x-kubernetes-validations'] as unknown[]).at(-1)).toEqual({
      rule: 'self == oldSelf',
      message: 'Cannot update chaos spec',
    });
  });

  it('turns the semantic keywords into CEL rules on their nodes, which compile', () => {
    const rules = (node: unknown) =>
      ((node as JsonSchema)['x-kubernetes-validations'] as
        { rule: string; fieldPath?: string }[] | undefined) ?? [];
    const properties = spec['properties'] as Record<string, JsonSchema>;
    expect(rules(spec).filter(r => r.fieldPath === '.value')).toHaveLength(3);
    expect(rules(properties['duration']).map(r => r.rule)[0]).toMatch(
      /^self == '' \|\| self == '0' \|\| self.matches\(/,
    );
    const selector = properties['selector']!['properties'] as Record<string, JsonSchema>;
    expect(rules(selector['podPhaseSelectors']!['items'])).toHaveLength(1);
    expect(rules(selector['expressionSelectors']!['items'] as JsonSchema).map(r => r.fieldPath)).toEqual([
      '.values',
      '.values',
      '.key',
    ]);
    expect(compileErrors(spec)).toEqual([]);
  });

  it('round-trips through YAML', () => {
    const text = crdToYaml(crd);
    expect(text.startsWith('# Generated')).toBe(true);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
  });
});
