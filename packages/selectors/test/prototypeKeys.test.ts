// SPDX-License-Identifier: Apache-2.0
// Label, annotation and field keys are looked up among an object's own keys only: a key such as
// `constructor` or `toString` must not match every pod through the prototype of a plain object.
import { describe, expect, it } from '@jest/globals';
import { compileEqualityMap, compileExpressions } from '../src/match/labelRequirements.js';
import { compileFieldSelectors } from '../src/match/fieldRequirements.js';

const unlabelled: Record<string, string> = { app: 'web' };

describe('selector keys named like Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    '%s: Exists matches only a real label',
    key => {
      const [exists] = compileExpressions([{ key, operator: 'Exists' }], 'selector.expressionSelectors');
      const [absent] = compileExpressions(
        [{ key, operator: 'DoesNotExist' }],
        'selector.expressionSelectors',
      );
      expect(exists!.matches(unlabelled)).toBe(false);
      expect(absent!.matches(unlabelled)).toBe(true);
      const labelled = JSON.parse(`{"${key}": "yes"}`) as Record<string, string>;
      expect(exists!.matches(labelled)).toBe(true);
    },
  );

  it('equality and set requirements do not see inherited members', () => {
    const [equal] = compileEqualityMap({ toString: 'x' }, 'selector.labelSelectors', true);
    expect(equal!.matches(unlabelled)).toBe(false);
    const [notIn] = compileExpressions(
      [{ key: 'constructor', operator: 'NotIn', values: ['x'] }],
      'selector.expressionSelectors',
    );
    expect(notIn!.matches(unlabelled)).toBe(true);
  });

  it('a field selector on an inherited name is refused, naming the field', () => {
    expect(() => compileFieldSelectors({ constructor: 'x' })).toThrow(
      'selector.fieldSelectors: field label not supported: constructor',
    );
  });
});
