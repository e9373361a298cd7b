// SPDX-License-Identifier: Apache-2.0
// Unit tests of structural-schema handling for custom resources.
import { describe, expect, it } from '@jest/globals';
import { validateRules } from '@chaosplane/cel';
import { applyDefaults, pruneUnknown, unknownFields, validateSchema } from '../src/crd/schema.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Cannot update chaos spec' }],
      required: ['mode'],
      properties: {
        mode: { type: 'string', enum: ['one', 'all'] },
        value: { 'x-kubernetes-int-or-string': true },
        duration: { type: 'string', nullable: true, pattern: '^\\d+(s|m|h)$' },
        selector: { type: 'object', additionalProperties: { type: 'string' } },
        items: {
          type: 'array',
          maxItems: 2,
          items: { type: 'object', properties: { n: { type: 'integer', default: 1 } } },
        },
        either: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

describe('custom resource schemas', () => {
  it('accepts valid objects, int-or-string, nullable and anyOf', () => {
    expect(
      validateSchema(schema, {
        spec: { mode: 'one', value: '50%', duration: null, either: 3, selector: { a: 'b' } },
      }),
    ).toEqual([]);
    expect(validateSchema(schema, { spec: { mode: 'all', value: 5, duration: '30s', either: 'x' } })).toEqual(
      [],
    );
  });

  it('reports field paths and apiserver wording', () => {
    const errors = validateSchema(schema, {
      spec: {
        mode: 'some',
        value: true,
        duration: '5 days',
        selector: { a: 1 },
        items: [{}, {}, {}],
        either: [],
      },
    });
    expect(errors.map(e => `${e.field}|${e.type}`).sort()).toEqual([
      'spec.duration|FieldValueInvalid',
      'spec.either|FieldValueInvalid',
      'spec.items|FieldValueTooMany',
      'spec.mode|FieldValueNotSupported',
      'spec.selector.a|FieldValueTypeInvalid',
      'spec.value|FieldValueTypeInvalid',
    ]);
    expect(errors.find(e => e.field === 'spec.mode')?.detail).toBe(
      'Unsupported value: "some": supported values: "one", "all"',
    );
    expect(validateSchema(schema, { spec: {} })).toEqual([
      { field: 'spec.mode', type: 'FieldValueRequired', detail: 'Required value' },
    ]);
  });

  it('defaults and prunes, keeping preserved subtrees', () => {
    const obj: any = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { mode: 'one', items: [{}], junk: 1, free: { any: { thing: 1 } } },
      status: { whatever: true },
      extra: 1,
    };
    expect(unknownFields(schema, obj).sort()).toEqual(['extra', 'spec.junk']);
    pruneUnknown(schema, obj, true);
    applyDefaults(schema, obj);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { mode: 'one', items: [{ n: 1 }], free: { any: { thing: 1 } } },
      status: { whatever: true },
    });
  });

  it('evaluates the immutability transition rule (CEL map equality ignores key order)', () => {
    const old = { spec: { mode: 'one', selector: { a: 'b', c: 'd' } } };
    const transition = (value: unknown) => validateRules(schema, value, { old, only: 'transition' });
    expect(transition({ spec: { selector: { c: 'd', a: 'b' }, mode: 'one' } })).toEqual([]);
    expect(transition({ spec: { mode: 'all', selector: { a: 'b', c: 'd' } } })).toEqual([
      {
        field: 'spec',
        reason: 'FieldValueInvalid',
        message: 'Cannot update chaos spec',
        detail: 'Invalid value: "object": Cannot update chaos spec',
      },
    ]);
  });
});
