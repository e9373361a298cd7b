// SPDX-License-Identifier: Apache-2.0
// x-kubernetes-validations as the API server evaluates them: self, oldSelf only on updates,
// message and messageExpression, fieldPath, reason and the API server's wording, integers as
// CEL ints, RE2 regular expressions, and rules that do not compile.
import { describe, expect, it } from '@jest/globals';
import { celString } from '@chaosplane/sdk';
import { compileErrors, validateRules, type JsonSchema } from '../src/index.js';

const spec: JsonSchema = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    containerNames: { type: 'array', items: { type: 'string' } },
    count: { type: 'integer' },
    duration: {
      type: 'string',
      'x-kubernetes-validations': [
        {
          rule: "self.matches('^[0-9]+(ms|s|m|h)$')",
          messageExpression: "'parse duration field error: time: invalid duration \"' + self + '\"'",
        },
      ],
    },
  },
  'x-kubernetes-validations': [
    {
      rule: "self.action != 'container-kill' || (has(self.containerNames) && size(self.containerNames) > 0)",
      message: 'the name of container is required on container-kill action',
      fieldPath: '.containerNames',
    },
    {
      rule: "self.action != 'pod-kill' || !has(self.containerNames)",
      message: 'pod-kill acts on whole pods: containerNames is not used',
      fieldPath: '.containerNames',
      reason: 'FieldValueForbidden',
    },
    { rule: '!has(self.count) || self.count < 10', message: 'count must be below 10' },
    { rule: 'self == oldSelf', message: 'Cannot update chaos spec' },
  ],
};

const check = (value: unknown, old?: unknown) =>
  validateRules(spec, value, { path: 'spec', ...(old !== undefined ? { old } : {}) });

describe('validateRules', () => {
  it('passes a valid value, and skips transition rules on a create', () => {
    expect(check({ action: 'container-kill', containerNames: ['main'], count: 3, duration: '30s' })).toEqual(
      [],
    );
  });

  it('reports a failed rule at its fieldPath with its message, worded as the API server', () => {
    expect(check({ action: 'container-kill' })).toEqual([
      {
        field: 'spec.containerNames',
        reason: 'FieldValueInvalid',
        message: 'the name of container is required on container-kill action',
        detail: 'Invalid value: "object": the name of container is required on container-kill action',
      },
    ]);
    expect(check({ action: 'pod-kill', containerNames: ['x'] })[0]).toMatchObject({
      field: 'spec.containerNames',
      detail: 'Forbidden: pod-kill acts on whole pods: containerNames is not used',
    });
  });

  it('uses messageExpression, and reports on the node the rule is on', () => {
    expect(check({ action: 'pod-failure', duration: '10x' })).toEqual([
      {
        field: 'spec.duration',
        reason: 'FieldValueInvalid',
        message: 'parse duration field error: time: invalid duration "10x"',
        detail: 'Invalid value: "string": parse duration field error: time: invalid duration "10x"',
      },
    ]);
  });

  it('gives integers as CEL ints', () => {
    expect(check({ action: 'pod-failure', count: 12 }).map(v => v.message)).toEqual([
      'count must be below 10',
    ]);
  });

  it('runs transition rules on an update only', () => {
    const before = { action: 'pod-failure', duration: '30s' };
    expect(check({ ...before }, before)).toEqual([]);
    expect(check({ ...before, duration: '1m' }, before).map(v => [v.field, v.message])).toEqual([
      ['spec', 'Cannot update chaos spec'],
    ]);
  });

  it('matches with RE2, as Kubernetes (no backreferences)', () => {
    const schema = { type: 'string', 'x-kubernetes-validations': [{ rule: "self.matches('^(a)\\\\1$')" }] };
    expect(compileErrors(schema)).toEqual([]);
    const [violation] = validateRules(schema, 'aa', { path: 'x' });
    expect(violation?.message).toMatch(/matches/);
  });

  it('names the rules that do not compile', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self ==' }] } },
    };
    expect(compileErrors(schema)).toEqual([
      {
        field: 'properties[a].x-kubernetes-validations[0].rule',
        message: expect.stringMatching(/^compilation failed: /),
      },
    ]);
  });
});

describe("the SDK's celString", () => {
  it('quotes any text so that the rule compares equal to it', () => {
    for (const text of ["it's", 'back\\slash', 'two\nlines\r', '^[a-z]+$', '"double"', '']) {
      const schema: JsonSchema = {
        type: 'string',
        'x-kubernetes-validations': [{ rule: `self == ${celString(text)}`, message: 'differs' }],
      };
      expect(compileErrors(schema)).toEqual([]);
      expect(validateRules(schema, text)).toEqual([]);
      expect(validateRules(schema, `${text}x`)).toHaveLength(1);
    }
  });
});
