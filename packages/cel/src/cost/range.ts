// SPDX-License-Identifier: Apache-2.0
// Min/max pairs with cel-go's unsigned 64-bit saturating arithmetic: the static cost model
// counts in uint64 and clamps at its maximum instead of overflowing. JavaScript numbers are
// exact up to 2^53, far above any budget (10^8), so the clamp is the only place precision matters.

/** The largest uint64, where every estimate saturates. */
export const MAX_UINT64 = 2 ** 64 - 1;

/** A `[min, max]` estimate: a size (characters, items, entries) or a cost. */
export interface Range {
  min: number;
  max: number;
}

const clamp = (x: number): number => (x >= MAX_UINT64 ? MAX_UINT64 : x);

/** The estimate of a value nothing is known about: any size. */
export const UNKNOWN: Range = { min: 0, max: MAX_UINT64 };

export const fixed = (n: number): Range => ({ min: n, max: n });

export const add = (a: Range, b: Range): Range => ({ min: clamp(a.min + b.min), max: clamp(a.max + b.max) });

export const multiply = (a: Range, b: Range): Range => ({
  min: clamp(a.min * b.min),
  max: clamp(a.max * b.max),
});

/** A size times a cost per unit, rounded up (cel-go's MultiplyByCostFactor). */
export function byFactor(a: Range, factor: number): Range {
  const one = (x: number) =>
    x > 0 && factor > 0 && x > MAX_UINT64 / factor ? MAX_UINT64 : clamp(Math.ceil(x * factor));
  return { min: one(a.min), max: one(a.max) };
}

/** The smallest min and the largest max of two estimates. */
export const union = (a: Range, b: Range): Range => ({
  min: Math.min(a.min, b.min),
  max: Math.max(a.max, b.max),
});

export const sum = (ranges: Range[]): Range => ranges.reduce(add, fixed(0));
