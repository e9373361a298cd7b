// SPDX-License-Identifier: Apache-2.0
// Expressions outside a schema (admission policies): named variables, JSON integers as CEL ints,
// a result bound as another expression's variable, and the errors of parsing and evaluation.
import { describe, expect, it } from '@jest/globals';
import { compileExpression, jsonToCel } from '../src/index.js';

describe('compileExpression', () => {
  const object = jsonToCel({ metadata: { namespace: 'team' }, spec: { replicas: 3, ratio: 0.5 } });

  it('evaluates with named variables, JSON integers as ints', () => {
    expect(compileExpression('object.spec.replicas == 3')({ object })).toBe(true);
    expect(compileExpression('object.spec.replicas + 1')({ object })).toBe(4n);
    expect(compileExpression('object.spec.ratio < 1.0')({ object })).toBe(true);
    expect(compileExpression('oldObject == null')({ object, oldObject: null })).toBe(true);
  });

  it("binds one expression's result as another's variable", () => {
    const namespaces = compileExpression('[object.metadata.namespace]')({ object });
    expect(compileExpression("variables.ns[0] + '!'")({ variables: { ns: namespaces } })).toBe('team!');
  });

  it('throws the parser message for an expression that does not compile', () => {
    expect(() => compileExpression('object.(')).toThrow(/found \. but expecting end of input/);
  });

  it('throws the evaluation error for a missing field', () => {
    expect(() => compileExpression('object.spec.selector.namespaces')({ object })).toThrow(
      /no such key|not found/,
    );
  });
});
