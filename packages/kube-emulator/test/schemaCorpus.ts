// SPDX-License-Identifier: Apache-2.0
// Schemas × values covering every keyword a structural CRD schema can use for validation, and
// each way a value can fail it: the corpus of schemaValidation.test.ts. The expected verdicts
// (schemaCorpus.expected.json) were recorded from the hand-written schema walker the emulator had
// before the one ajv path, and checked identical to the new path's on every case before the
// walker was deleted.

type Schema = Record<string, unknown>;

/** One schema and the values it is checked against. */
export interface CorpusEntry {
  name: string;
  schema: Schema;
  values: unknown[];
}

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...extra,
});

export const CORPUS: CorpusEntry[] = [
  { name: 'string', schema: str(), values: ['a', '', 1, 1.5, true, null, [], {}] },
  { name: 'integer', schema: int(), values: [1, 0, -3, 1.5, '1', true, null, [1], {}] },
  { name: 'number', schema: { type: 'number' }, values: [1, 1.5, -0.25, '1', false, null] },
  { name: 'boolean', schema: { type: 'boolean' }, values: [true, false, 'true', 0, null] },
  { name: 'array', schema: { type: 'array' }, values: [[], [1, 'a'], 'a', {}, null] },
  { name: 'object', schema: { type: 'object' }, values: [{}, { a: 1 }, [], 'a', 3, null] },
  { name: 'nullable string', schema: str({ nullable: true }), values: [null, 'a', 1] },
  { name: 'nullable with enum', schema: str({ nullable: true, enum: ['a'] }), values: [null, 'b', 'a'] },
  { name: 'untyped', schema: {}, values: [null, 1, 'a', [], {}] },
  { name: 'untyped enum', schema: { enum: ['a', 1] }, values: [null, 'a', 1, 'b', true] },
  {
    name: 'string enum',
    schema: str({ enum: ['Always', 'OnFailure', 'Never'] }),
    values: ['Never', 'Sometimes', '', 3, null],
  },
  { name: 'integer enum', schema: int({ enum: [1, 2, 3] }), values: [2, 4, '2'] },
  { name: 'object enum', schema: { enum: [{ a: 1 }, [1, 2]] }, values: [{ a: 1 }, { a: 2 }, [1, 2], [2]] },
  {
    name: 'int-or-string',
    schema: { 'x-kubernetes-int-or-string': true },
    values: [1, '50%', 1.5, true, null, [], { a: 1 }],
  },
  {
    name: 'int-or-string with a pattern and bounds',
    schema: {
      'x-kubernetes-int-or-string': true,
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^[0-9]+%$' },
      ],
    },
    values: [3, -1, '25%', 'abc', false],
  },
  {
    name: 'int-or-string with an enum',
    schema: { 'x-kubernetes-int-or-string': true, enum: [1, 'one'] },
    values: [1, 'one', 2, 'two', true],
  },
  {
    name: 'minimum and maximum',
    schema: int({ minimum: 1, maximum: 10 }),
    values: [1, 10, 0, 11, -5, 5],
  },
  {
    name: 'exclusive bounds',
    schema: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
    values: [0, 1, 0.5, -1, 2],
  },
  {
    name: 'exclusive false',
    schema: { type: 'number', minimum: 0, exclusiveMinimum: false, maximum: 1, exclusiveMaximum: false },
    values: [0, 1, -0.5, 1.5],
  },
  { name: 'multipleOf', schema: int({ multipleOf: 5 }), values: [10, 0, 7, -15, -3] },
  {
    name: 'maxLength in code points',
    schema: str({ maxLength: 3 }),
    values: ['abc', 'abcd', 'äöü', 'äöüß', '😀😀😀', '😀😀😀😀', ''],
  },
  { name: 'minLength', schema: str({ minLength: 2 }), values: ['ab', 'a', '', '😀😀', '😀'] },
  {
    name: 'pattern',
    schema: str({ pattern: '^[a-z][a-z0-9-]*$' }),
    values: ['web-1', 'Web', '1web', ''],
  },
  { name: 'unicode pattern', schema: str({ pattern: '^\\p{L}+$' }), values: ['héllo', 'a1'] },
  { name: 'pattern JavaScript cannot compile', schema: str({ pattern: '(?<!x' }), values: ['a', ''] },
  {
    name: 'date-time',
    schema: str({ format: 'date-time' }),
    values: ['2026-12-07T16:00:00Z', '2026-12-07T16:00:00.123+01:00', 'yesterday', ''],
  },
  { name: 'an unchecked format', schema: str({ format: 'email' }), values: ['not-an-email'] },
  {
    name: 'string with every bound',
    schema: str({ minLength: 3, maxLength: 5, pattern: '^[a-z]+$', enum: ['abc', 'abcdef'] }),
    values: ['abc', 'ab', 'abcdef', 'AB', 'A'],
  },
  {
    name: 'maxItems and minItems',
    schema: { type: 'array', minItems: 1, maxItems: 2, items: str() },
    values: [['a'], [], ['a', 'b', 'c'], ['a', 1], [1, 2, 3]],
  },
  {
    name: 'uniqueItems',
    schema: { type: 'array', uniqueItems: true, items: { 'x-kubernetes-int-or-string': true } },
    values: [
      [1, 2],
      [1, 1],
      ['a', 'a', 'b'],
      [1, '1'],
    ],
  },
  {
    name: 'items of objects',
    schema: {
      type: 'array',
      items: obj(
        { name: str({ minLength: 1 }), port: int({ minimum: 1, maximum: 65535 }) },
        { required: ['name'] },
      ),
    },
    values: [
      [{ name: 'a', port: 80 }],
      [{ port: 0 }, { name: '', port: 70000 }, { name: 'x', port: 'http' }],
      [null, 'x'],
    ],
  },
  {
    name: 'required',
    schema: obj({ a: str(), b: int(), c: str() }, { required: ['b', 'a', 'c'] }),
    values: [{ a: 'x', b: 1, c: 'y' }, {}, { a: 'x' }, { a: null, b: 1, c: 'y' }, { a: 1 }],
  },
  {
    name: 'nested properties in schema order',
    schema: obj({
      z: str({ maxLength: 1 }),
      a: obj({ y: int({ minimum: 0 }), b: str({ enum: ['on', 'off'] }) }, { required: ['b'] }),
      m: { type: 'array', items: int({ maximum: 1 }) },
    }),
    values: [
      { a: { b: 'on' } },
      { m: [0, 2, 3], a: { y: -1, b: 'maybe' }, z: 'long' },
      { a: { y: 'x' }, z: 5 },
      { a: [] },
    ],
  },
  {
    name: 'additionalProperties schema',
    schema: { type: 'object', properties: { fixed: int() }, additionalProperties: str({ maxLength: 2 }) },
    values: [{ fixed: 1, a: 'x' }, { b: 'long', a: 3, fixed: 'one' }, { c: null }],
  },
  {
    name: 'additionalProperties true and false',
    schema: obj({
      open: { type: 'object', additionalProperties: true },
      closed: { type: 'object', properties: { a: str() }, additionalProperties: false },
    }),
    values: [{ open: { x: 1 }, closed: { a: 'x' } }],
  },
  {
    name: 'maxProperties and minProperties',
    schema: { type: 'object', minProperties: 1, maxProperties: 2, additionalProperties: int() },
    values: [{ a: 1 }, {}, { a: 1, b: 2, c: 3 }, { a: 1, b: 'x', c: 3 }],
  },
  {
    name: 'allOf',
    schema: { allOf: [str({ minLength: 2 }), str({ pattern: '^a' }), { maxLength: 3 }] },
    values: ['abc', 'b', 'abcd', 'bcde', 7],
  },
  {
    name: 'anyOf',
    schema: { anyOf: [int({ minimum: 10 }), str({ enum: ['x'] })] },
    values: [11, 'x', 3, 'y', true, null],
  },
  {
    name: 'oneOf',
    schema: { oneOf: [{ required: ['a'] }, { required: ['b'] }] },
    values: [{ a: 1 }, { b: 1 }, { a: 1, b: 1 }, {}],
  },
  {
    name: 'not',
    schema: { type: 'string', not: { enum: ['forbidden'] } },
    values: ['fine', 'forbidden', 3],
  },
  {
    name: 'combinators on a property',
    schema: obj({
      v: {
        type: 'object',
        anyOf: [{ required: ['x'] }, { required: ['y'] }],
        properties: { x: int(), y: int() },
      },
    }),
    values: [{ v: { x: 1 } }, { v: {} }, { v: { x: 'a' } }],
  },
  {
    name: 'a wrong type stops the node',
    schema: str({ enum: ['a'], minLength: 3, anyOf: [{ pattern: 'x' }], allOf: [{ maxLength: 1 }] }),
    values: [5, ['a'], 'a'],
  },
  {
    name: 'embedded resource and preserved fields',
    schema: obj({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { kind: str(), spec: obj({ replicas: int({ minimum: 0 }) }) },
      },
      extra: { 'x-kubernetes-preserve-unknown-fields': true },
    }),
    values: [
      { template: { kind: 'Pod', spec: { replicas: 1 }, other: 'x' }, extra: { any: ['thing'] } },
      { template: { kind: 3, spec: { replicas: -1 } }, extra: 'scalar' },
    ],
  },
  {
    name: 'a whole custom resource',
    schema: obj(
      {
        spec: obj(
          {
            replicas: int({ minimum: 0, maximum: 100 }),
            image: str({ minLength: 1 }),
            mode: str({ enum: ['fast', 'slow'] }),
            ports: {
              type: 'array',
              maxItems: 2,
              items: obj({ port: int({ minimum: 1 }), name: str({ maxLength: 4 }) }, { required: ['port'] }),
            },
            labels: { type: 'object', additionalProperties: str({ maxLength: 3 }) },
            size: { 'x-kubernetes-int-or-string': true },
          },
          { required: ['image'] },
        ),
        status: obj({ phase: str() }),
      },
      { required: ['spec'] },
    ),
    values: [
      {
        spec: {
          image: 'nginx',
          replicas: 2,
          mode: 'fast',
          ports: [{ port: 80 }],
          labels: { a: 'b' },
          size: 3,
        },
      },
      {},
      {
        spec: {
          replicas: 101,
          mode: 'medium',
          ports: [{ name: 'toolong' }, { port: 0 }, { port: 1 }],
          labels: { a: 'long', b: 1 },
          size: true,
        },
        status: { phase: 3 },
      },
      { spec: 'nginx' },
      { spec: null },
    ],
  },
];
