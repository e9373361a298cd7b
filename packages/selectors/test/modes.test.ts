// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { countForMode, pickRandom, validateModeValue, type RandomIndex } from '@chaosplane/selectors';

const maxRandom: RandomIndex = n => n - 1;
const minRandom: RandomIndex = () => 0;

describe('validateModeValue (Chaos Mesh webhook messages)', () => {
  it.each([
    ['fixed', 'abc', 'parse value field error:strconv.Atoi: parsing "abc": invalid syntax'],
    ['fixed', '', 'parse value field error:strconv.Atoi: parsing "": invalid syntax'],
    ['fixed', '1.5', 'parse value field error:strconv.Atoi: parsing "1.5": invalid syntax'],
    [
      'fixed',
      '99999999999999999999',
      'parse value field error:strconv.Atoi: parsing "99999999999999999999": value out of range',
    ],
    ['fixed', '0', 'value must be greater than 0 with mode:fixed'],
    ['fixed', '-3', 'value must be greater than 0 with mode:fixed'],
    ['fixed-percent', '0', 'value of 0 is invalid, Must be (0,100] with mode:fixed-percent'],
    ['fixed-percent', '101', 'value of 101 is invalid, Must be (0,100] with mode:fixed-percent'],
    ['random-max-percent', '-1', 'value of -1 is invalid, Must be (0,100] with mode:random-max-percent'],
    ['random-max-percent', 'x', 'parse value field error:strconv.Atoi: parsing "x": invalid syntax'],
    ['sometimes', '1', 'mode sometimes not supported'],
  ])('mode %s value %j: %s', (mode, value, message) => {
    let caught: unknown;
    try {
      validateModeValue(mode, value);
    } catch (error) {
      caught = error;
    }
    expect(ChaosplaneError.isKind(caught, 'invalid')).toBe(true);
    expect((caught as Error).message).toBe(message);
    expect((caught as ChaosplaneError).field).toBe(mode === 'sometimes' ? 'mode' : 'value');
  });

  it('accepts the boundaries and ignores value for one and all', () => {
    expect(validateModeValue('fixed', '1')).toEqual({ mode: 'fixed', value: 1 });
    expect(validateModeValue('fixed', '+7')).toEqual({ mode: 'fixed', value: 7 });
    expect(validateModeValue('fixed-percent', '1')).toEqual({ mode: 'fixed-percent', value: 1 });
    expect(validateModeValue('fixed-percent', '100')).toEqual({ mode: 'fixed-percent', value: 100 });
    expect(validateModeValue('random-max-percent', '100')).toEqual({
      mode: 'random-max-percent',
      value: 100,
    });
    expect(validateModeValue('one', 'garbage')).toEqual({ mode: 'one', value: undefined });
    expect(validateModeValue('all', undefined)).toEqual({ mode: 'all', value: undefined });
  });
});

describe('countForMode at its boundaries', () => {
  const mode = (name: string, value?: string) => validateModeValue(name, value);
  it.each([
    // [mode, value, count, expected]
    ['one', undefined, 0, 0],
    ['one', undefined, 1, 1],
    ['one', undefined, 5, 1],
    ['all', undefined, 0, 0],
    ['all', undefined, 1, 1],
    ['all', undefined, 5, 5],
    ['fixed', '1', 0, 0],
    ['fixed', '1', 1, 1],
    ['fixed', '1', 5, 1],
    ['fixed', '5', 5, 5],
    ['fixed', '6', 5, 5],
    ['fixed', '1000', 3, 3],
    ['fixed-percent', '1', 1, 1],
    ['fixed-percent', '1', 4, 1],
    ['fixed-percent', '25', 4, 1],
    ['fixed-percent', '26', 4, 2],
    ['fixed-percent', '50', 3, 2],
    ['fixed-percent', '33', 3, 1],
    ['fixed-percent', '34', 3, 2],
    ['fixed-percent', '100', 3, 3],
    ['fixed-percent', '10', 100, 10],
    ['fixed-percent', '30', 10, 3],
    ['fixed-percent', '100', 0, 0],
  ] as const)('%s %s of %d pods picks %d', (name, value, count, expected) => {
    expect(countForMode(mode(name, value), count)).toBe(expected);
  });

  it('random-max-percent draws a percentage in [0, max], then rounds up', () => {
    const randomMax = mode('random-max-percent', '50');
    expect(countForMode(randomMax, 4, maxRandom)).toBe(2); // p = 50
    expect(countForMode(randomMax, 4, minRandom)).toBe(0); // p = 0: nothing
    expect(countForMode(randomMax, 4, () => 1)).toBe(1); // p = 1: ceil(0.04)
    expect(countForMode(mode('random-max-percent', '100'), 3, maxRandom)).toBe(3);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(countForMode(mode('random-max-percent', '100'), 4));
    // Counts 1..4 each cover about 25 of the 101 equally likely percentages, so each shows up in
    // 300 crypto-random draws (p(miss) < 1e-35). Count 0 needs p = 0 (1 in 101, missed by 300
    // draws about 5% of the time), so it is checked through the injected random source above.
    expect([...seen].filter(n => n > 0).sort()).toEqual([1, 2, 3, 4]);
    expect([...seen].every(n => n >= 0 && n <= 4)).toBe(true);
  });
});

describe('pickRandom', () => {
  it('picks distinct items, keeps input order, and reaches every item', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const picked = pickRandom(items, 2);
      expect(picked).toHaveLength(2);
      expect(new Set(picked).size).toBe(2);
      expect(picked).toEqual([...picked].sort());
      picked.forEach(item => seen.add(item));
    }
    expect(seen.size).toBe(5);
  });

  it('returns everything when asked for as many or more', () => {
    expect(pickRandom(['a', 'b'], 2)).toEqual(['a', 'b']);
    expect(pickRandom(['a', 'b'], 9)).toEqual(['a', 'b']);
    expect(pickRandom([], 1)).toEqual([]);
    expect(pickRandom(['a', 'b'], 0)).toEqual([]);
  });

  it('uses the injected random source', () => {
    expect(pickRandom(['a', 'b', 'c'], 1, maxRandom)).toEqual(['c']);
    expect(pickRandom(['a', 'b', 'c'], 1, minRandom)).toEqual(['a']);
  });
});
