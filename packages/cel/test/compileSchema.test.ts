// SPDX-License-Identifier: Apache-2.0
// The one schema path: ajv's errors read as the API server's field errors. The verdicts on a
// corpus of schemas × values are kube-emulator's schemaCorpus.test.ts; here, what its two users
// read besides: the short message the engine lists, the path below the validated value, a
// validated value's root name, unknown fields, errors of a validator compiled elsewhere, the
// compile-once cache (that a compiled schema does not outlive its schema is
// compileSchemaMemory.system.test.ts: in jest, ajv's generated code is retained by the test
// environment, whatever compiled it).
import { describe, expect, it } from '@jest/globals';
import type { ErrorObject } from 'ajv';
import { compileSchema, describeSchemaError, validateSchema } from '../src/index.js';

const spec = {
  type: 'object',
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: ['one', 'all'] },
    gracePeriod: { type: 'integer', minimum: 0 },
    latency: { type: 'string', pattern: '^[0-9]+ms$' },
    size: { type: 'string', maxLength: 4 },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    selector: {
      type: 'object',
      properties: { namespaces: { type: 'array', items: { type: 'string' } } },
      additionalProperties: false,
    },
  },
};

describe('compileSchema', () => {
  it('words each violation twice: the API server’s detail and the short message, with the path below the root', () => {
    const violations = compileSchema(spec)(
      {
        gracePeriod: -1,
        latency: '1s',
        size: '12345',
        labels: { 'app.kubernetes.io/name': 3 },
        selector: { namespaces: ['a', 7], colour: 'red' },
      },
      'spec',
    );
    expect(violations).toEqual([
      {
        field: 'spec.mode',
        path: ['mode'],
        reason: 'FieldValueRequired',
        detail: 'Required value',
        message: 'Required value',
      },
      {
        field: 'spec.gracePeriod',
        path: ['gracePeriod'],
        reason: 'FieldValueInvalid',
        detail: 'Invalid value: -1: spec.gracePeriod in body should be greater than or equal to 0',
        message: 'must be >= 0',
      },
      {
        field: 'spec.latency',
        path: ['latency'],
        reason: 'FieldValueInvalid',
        detail: `Invalid value: "1s": spec.latency in body should match '^[0-9]+ms$'`,
        message: 'must match pattern "^[0-9]+ms$"',
      },
      {
        field: 'spec.size',
        path: ['size'],
        reason: 'FieldValueTooLong',
        detail: 'Too long: may not be more than 4 bytes',
        message: 'Too long: may not be more than 4 bytes',
      },
      {
        field: 'spec.labels.app.kubernetes.io/name',
        path: ['labels', 'app.kubernetes.io/name'],
        reason: 'FieldValueTypeInvalid',
        detail:
          'Invalid value: "integer": spec.labels.app.kubernetes.io/name in body must be of type string: "integer"',
        message: 'must be of type string, got integer',
      },
      {
        field: 'spec.selector.namespaces[1]',
        path: ['selector', 'namespaces', 1],
        reason: 'FieldValueTypeInvalid',
        detail:
          'Invalid value: "integer": spec.selector.namespaces[1] in body must be of type string: "integer"',
        message: 'must be of type string, got integer',
      },
      {
        field: 'spec.selector.colour',
        path: ['selector', 'colour'],
        reason: 'UnknownField',
        detail: 'unknown field "spec.selector.colour"',
        message: 'unknown field "colour"',
      },
    ]);
  });

  it('names the value itself <root> when there is no root name', () => {
    expect(validateSchema({ type: 'object' }, 'text')).toEqual([
      expect.objectContaining({
        field: '<root>',
        path: [],
        detail: 'Invalid value: "string": <root> in body must be of type object: "string"',
      }),
    ]);
    expect(validateSchema({ type: 'object' }, 'text', 'spec')[0]).toMatchObject({
      field: 'spec',
      message: 'must be of type object, got string',
    });
  });

  it('quotes enum values as the API server does, for the engine too', () => {
    expect(validateSchema(spec, { mode: 'some' }, 'spec')).toEqual([
      {
        field: 'spec.mode',
        path: ['mode'],
        reason: 'FieldValueNotSupported',
        detail: 'Unsupported value: "some": supported values: "one", "all"',
        message: 'Unsupported value: "some": supported values: "one", "all"',
      },
    ]);
  });

  it('compiles once per schema object: a change in place is not seen, a new object is', () => {
    const schema = { type: 'string', maxLength: 2 };
    expect(validateSchema(schema, 'abc')).toHaveLength(1);
    schema.maxLength = 5;
    expect(validateSchema(schema, 'abc')).toHaveLength(1);
    expect(validateSchema({ ...schema }, 'abc')).toEqual([]);
  });

  it('takes a pattern JavaScript cannot compile as matching everything, and any other format as unchecked', () => {
    expect(validateSchema({ type: 'string', pattern: '(?<!x' }, 'a')).toEqual([]);
    expect(validateSchema({ type: 'string', format: 'hostname' }, 'not a host')).toEqual([]);
    expect(validateSchema({ type: 'string', format: 'date-time' }, 'soon')).toEqual([
      expect.objectContaining({
        detail: 'Invalid value: "soon": <root> in body must be of type date-time: "soon"',
      }),
    ]);
  });
  it('tells a property named like a combinator from the combinator', () => {
    const schema = { type: 'object', properties: { anyOf: { type: 'string' }, not: { type: 'integer' } } };
    expect(validateSchema(schema, { anyOf: 1, not: 'x' }).map(v => `${v.field}: ${v.message}`)).toEqual([
      'anyOf: must be of type string, got integer',
      'not: must be of type integer, got string',
    ]);
  });
});

describe('describeSchemaError', () => {
  it('reads an error of a validator compiled elsewhere (no data), given the value', () => {
    const error: ErrorObject = {
      keyword: 'enum',
      instancePath: '/spec/containers/0/imagePullPolicy',
      schemaPath: '#/properties/imagePullPolicy/enum',
      params: { allowedValues: ['Always', 'Never', 'IfNotPresent'] },
    };
    expect(describeSchemaError(error, 'Sometimes')).toEqual({
      field: 'spec.containers[0].imagePullPolicy',
      path: ['spec', 'containers', 0, 'imagePullPolicy'],
      reason: 'FieldValueNotSupported',
      detail: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "IfNotPresent"',
      message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "IfNotPresent"',
    });
  });

  it('unescapes JSON pointer segments', () => {
    const error: ErrorObject = {
      keyword: 'type',
      instancePath: '/metadata/labels/a~1b~0c',
      schemaPath: '#/type',
      params: { type: 'string' },
    };
    expect(describeSchemaError(error, 1)).toMatchObject({
      field: 'metadata.labels.a/b~c',
      path: ['metadata', 'labels', 'a/b~c'],
    });
  });
});
