// SPDX-License-Identifier: Apache-2.0
// The selection modes (Chaos Mesh pkg/selector/generic/mode.go): how many of the eligible
// targets are picked, and which, with a cryptographically random choice.
import { randomInt } from 'node:crypto';
import type { ModeValue } from '../spec/validateModeValue.js';

/** Returns a uniformly random integer in [0, maxExclusive). */
export type RandomIndex = (maxExclusive: number) => number;

/** The default random source: `crypto.randomInt`, as Chaos Mesh uses `crypto/rand`. */
export const cryptoRandomIndex: RandomIndex = maxExclusive => randomInt(maxExclusive);

/**
 * How many of `count` eligible targets a mode picks.
 * `fixed`: min(value, count); `fixed-percent`: ceil(count·value/100); `random-max-percent`: a random
 * percentage p in [0, value], then ceil(count·p/100), which can be 0.
 */
export function countForMode(
  modeValue: ModeValue,
  count: number,
  random: RandomIndex = cryptoRandomIndex,
): number {
  if (count === 0) return 0;
  const value = modeValue.value ?? 0;
  switch (modeValue.mode) {
    case 'one':
      return 1;
    case 'all':
      return count;
    case 'fixed':
      return Math.min(value, count);
    case 'fixed-percent':
      return percentOf(count, value);
    case 'random-max-percent':
      return percentOf(count, random(value + 1));
  }
}

// Integer arithmetic, so 3 × 100 / 100 is exactly 3 and never 3.0000000000000004 rounded up.
function percentOf(count: number, percent: number): number {
  return Math.ceil((count * percent) / 100);
}

/**
 * Picks `n` distinct items uniformly at random (partial Fisher-Yates), keeping their input order.
 */
export function pickRandom<T>(items: readonly T[], n: number, random: RandomIndex = cryptoRandomIndex): T[] {
  if (n >= items.length) return [...items];
  const indexes = items.map((_, index) => index);
  for (let i = 0; i < n; i++) {
    // i < n < items.length and i <= j < indexes.length: both swapped entries exist.
    const j = i + random(indexes.length - i);
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  // Every picked index is an index of `items`.
  return indexes
    .slice(0, n)
    .sort((a, b) => a - b)
    .map(index => items[index]!);
}

/** Applies a mode to the eligible items: the picked items, in input order. */
export function pickByMode<T>(
  items: readonly T[],
  modeValue: ModeValue,
  random: RandomIndex = cryptoRandomIndex,
): T[] {
  return pickRandom(items, countForMode(modeValue, items.length, random), random);
}
