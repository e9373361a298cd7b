// SPDX-License-Identifier: Apache-2.0
// The estimator against Kubernetes' own numbers: every expected cost below is one that
// apiextensions-apiserver's TestCostEstimation (pkg/apiserver/schema/cel/compilation_test.go)
// asserts for the same schema and rule, first without bounds (sizes from the 3 MiB request), then
// with maxItems/maxProperties/maxLength set. The schemas are rebuilt here as JSON.
import { describe, expect, it } from '@jest/globals';
import { estimateRuleCost } from '../src/index.js';

type Schema = Record<string, unknown>;
type Gen = (max?: number) => Schema;

/** A scalar schema of one of Kubernetes' test type names. */
function scalar(type: string): Schema {
  if (type === 'duration' || type === 'date' || type === 'date-time') return { type: 'string', format: type };
  if (type === 'int-or-string') return { 'x-kubernetes-int-or-string': true };
  return { type };
}
const bound = (key: string, max?: number): Schema => (max === undefined ? {} : { [key]: max });
const objectItem = (): Schema => ({
  type: 'object',
  required: ['required'],
  properties: { required: { type: 'string' }, optional: { type: 'string' } },
});

const array =
  (type: string): Gen =>
  max => ({ type: 'array', items: scalar(type), ...bound('maxItems', max) });
const arrayOfArrays =
  (type: string): Gen =>
  max => ({
    type: 'array',
    items: { type: 'array', items: { type } },
    ...bound('maxItems', max),
  });
const objectArray: Gen = max => ({ type: 'array', items: objectItem(), ...bound('maxItems', max) });
const mapArray =
  (type: string): Gen =>
  max => ({
    type: 'array',
    items: { type: 'object', additionalProperties: { type } },
    ...bound('maxItems', max),
  });
const map =
  (type: string): Gen =>
  max => ({ type: 'object', additionalProperties: scalar(type), ...bound('maxProperties', max) });
const mapOf =
  (item: Schema): Gen =>
  max => ({ type: 'object', additionalProperties: item, ...bound('maxProperties', max) });
const string: Gen = max => ({ type: 'string', ...bound('maxLength', max) });
const bytes: Gen = max => ({ type: 'string', format: 'byte', ...bound('maxLength', max) });
const nestedSpec: Gen = max => ({
  type: 'object',
  additionalProperties: { type: 'string', ...bound('maxLength', max) },
  ...bound('maxProperties', max),
});
const nestedRoot =
  (all: boolean): Gen =>
  max => ({
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: { ...objectItem(), ...(all ? bound('maxProperties', max) : {}) },
      ...bound('maxProperties', max),
    },
    ...(all ? bound('maxItems', max) : {}),
  });
const stringList: Gen = max => ({ type: 'array', items: string(max), ...bound('maxItems', max) });
const replaceObject: Gen = max => ({
  type: 'object',
  properties: { str: string(max), before: string(2), after: string(4) },
});
const splitObject: Gen = max => ({
  type: 'object',
  properties: { str: string(max), separator: string(max) },
});
const enumString: Gen = max => ({
  type: 'string',
  enum: ['A', 'B', 'C', 'LongValue'],
  ...bound('maxLength', max),
});

// [name, schema, rule, cost without bounds (undefined: Kubernetes asserts none), bound, cost with it]
const cases: [string, Gen, string, number | undefined, number, number][] = [
  ['number array with all', array('number'), 'self.all(x, true)', 4718591, 10, 32],
  ['string array with all', array('string'), 'self.all(x, true)', 3145727, 20, 62],
  ['boolean array with all', array('boolean'), 'self.all(x, true)', 1887437, 5, 17],
  ['array of number arrays with all', arrayOfArrays('number'), 'self.all(x, true)', 3145727, 100, 302],
  ['array of objects with all', objectArray, 'self.all(x, true)', 555128, 50, 152],
  ['map of numbers with all', map('number'), 'self.all(x, true)', 1348169, 10, 32],
  ['map of strings with all', map('string'), 'self.all(x, true)', 1179647, 3, 11],
  ['map of booleans with all', map('boolean'), 'self.all(x, true)', 943718, 100, 302],
  ['string with contains', string, "self.contains('test')", 314574, 10, 5],
  ['string with startsWith', string, "self.startsWith('test')", 2, 15, 2],
  ['string with endsWith', string, "self.endsWith('test')", 2, 30, 2],
  ['concat string', string, 'size(self + "hello") > size("hello")', 314578, 4, 7],
  ['index of array with numbers', array('number'), 'self[1] == 0.0', 2, 5000, 2],
  ['index of array with strings', array('string'), 'self[1] == self[1]', 314577, 8, 314577],
  ['O(n^2) loop with numbers', array('number'), 'self.all(x, self.all(y, true))', undefined, 10, 352],
  [
    'O(n^3) loop with numbers',
    array('number'),
    'self.all(x, self.all(y, self.all(z, true)))',
    undefined,
    10,
    3552,
  ],
  ['regex matches simple', string, 'self.matches("x")', 314574, 50, 22],
  ['regex matches empty string', string, '"".matches("(((((((((())))))))))[0-9]")', 7, 10, 7],
  ['regex matches empty regex', string, 'self.matches("")', 1, 100, 1],
  ['map of strings with value length', nestedSpec, 'self.all(x, x.contains(self[x]))', 2752507, 10, 72],
  ['set array maxLength to zero', array('number'), 'self[3] == 0.0', 2, 0, 2],
  ['set map maxLength to zero', map('number'), 'self["x"] == 0.0', 2, 0, 2],
  ['set string maxLength to zero', string, 'self == "x"', 2, 0, 1],
  ['set bytes maxLength to zero', bytes, 'self == b"x"', 2, 0, 1],
  [
    'set maxLength greater than estimated maxLength',
    array('number'),
    'self.all(x, x == 0.0)',
    6291454,
    3 * 1024 * 2048,
    25165826,
  ],
  [
    'nested types with root rule with all supporting maxLength',
    nestedRoot(true),
    'self.all(x, x["y"].required == "z")',
    7340027,
    10,
    72,
  ],
  [
    'nested types with root rule with one supporting maxLength',
    nestedRoot(false),
    'self.all(x, x["y"].required == "z")',
    7340027,
    10,
    7340027,
  ],
  ['int-or-string array with all', array('int-or-string'), 'self.all(x, true)', 4718591, 10, 32],
  ['index of array with int-or-strings', array('int-or-string'), 'self[0] == 5', 3, 10, 3],
  ['index of array with booleans', array('boolean'), 'self[0] == false', 2, 25, 2],
  ['index of array of objects', objectArray, 'self[0] == null', 2, 422, 2],
  ['index of array of array of numnbers', arrayOfArrays('number'), 'self[0][0] == -1.0', 3, 51, 3],
  ['array of number maps with all', mapArray('number'), 'self.all(x, x.y == 25.2)', 6291452, 12, 74],
  ['index of array of number maps', mapArray('number'), 'self[0].x > 2.0', 4, 3000, 4],
  ['duration array with all', array('duration'), 'self.all(x, true)', 2359295, 5, 17],
  ['index of duration array', array('duration'), 'self[0].getHours() == 2', 4, 525, 4],
  ['date array with all', array('date'), 'self.all(x, true)', 725936, 15, 47],
  ['index of date array', array('date'), 'self[2].getDayOfMonth() == 13', 4, 42, 4],
  ['date-time array with all', array('date-time'), 'self.all(x, true)', 428963, 25, 77],
  ['index of date-time array', array('date-time'), 'self[2].getMinutes() == 45', 4, 99, 4],
  ['map of int-or-strings with all', map('int-or-string'), 'self.all(x, true)', 1348169, 15, 47],
  ['map of objects with all', mapOf(objectItem()), 'self.all(x, true)', 428963, 20, 62],
  [
    'map of number maps with all',
    mapOf({ type: 'object', additionalProperties: { type: 'number' } }),
    'self.all(x, true)',
    1179647,
    10,
    32,
  ],
  [
    'map of number arrays with all',
    mapOf({ type: 'array', items: { type: 'number' } }),
    'self.all(x, true)',
    1179647,
    25,
    77,
  ],
  ['map of durations with all', map('duration'), 'self.all(x, true)', 1048577, 5, 17],
  ['map of dates with all', map('date'), 'self.all(x, true)', 524288, 10, 32],
  ['map of date-times with all', map('date-time'), 'self.all(x, true)', 349526, 25, 77],
  ['extended library regex find', string, "self.find('[0-9]+') == ''", 629147, 10, 11],
  ['extended library join', stringList, "self.join(' ') == 'aa bb'", 329853068905, 10, 43],
  ['extended library isSorted', stringList, 'self.isSorted() == true', 329854432052, 10, 52],
  [
    'extended library replace',
    replaceObject,
    "self.str.replace(self.before, self.after) == 'does not matter'",
    629154,
    4,
    12,
  ],
  ['extended library split', splitObject, 'self.str.split(self.separator) == []', 629160, 10, 22],
  ['extended library lowerAscii', string, "self.lowerAscii() == 'lower!'", 314575, 10, 6],
  ['check cost of size call', map('integer'), 'oldSelf.size() == self.size()', 5, 10, 5],
  ['check cost of timestamp comparison', map('date-time'), 'self["a"] == self["b"]', 8, 7, 8],
  ['check cost of duration comparison', map('duration'), 'self["c"] == self["d"]', 8, 42, 8],
  [
    'enums with maxLength equals to the longest possible value',
    enumString,
    "self.contains('A')",
    2,
    1000,
    401,
  ],
];

describe("the static cost estimate matches Kubernetes' TestCostEstimation", () => {
  it.each(cases)('%s', (_name, gen, rule, unbounded, max, bounded) => {
    const open = estimateRuleCost(rule, gen());
    if (unbounded === undefined) expect(open.max).toBeGreaterThan(10_000_000);
    else expect(open.max).toBe(unbounded);
    expect(estimateRuleCost(rule, gen(max)).max).toBe(bounded);
    expect(open.unmodelled).toEqual([]);
  });
});

describe('what the estimator does not model', () => {
  it('counts an unmodelled function as costing the most and names it', () => {
    const estimate = estimateRuleCost("sets.contains(self, ['a'])", {
      type: 'array',
      items: { type: 'string' },
      maxItems: 2,
    });
    expect(estimate.unmodelled).toEqual(['sets.contains']);
    expect(estimate.max).toBe(2 ** 64 - 1);
  });

  it('refuses a node rules cannot see', () => {
    expect(() => estimateRuleCost('true', { description: 'no type' })).toThrow(/no type/);
  });
});
