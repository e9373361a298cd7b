// SPDX-License-Identifier: Apache-2.0
/**
 * A decoded JSON value as Go's `fmt` prints it with `%v`: the apiserver puts a strategic merge
 * patch in its messages this way (`map[data:map[a:b] $patch:explode]`, keys sorted, lists
 * space-separated, `<nil>` for null).
 */
import { isMap } from '../types.js';

/** Go's `%v` of a JSON value decoded into `map[string]interface{}`. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isMap(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map(k => `${k}:${goValue(value[k])}`).join(' ')}]`;
  }
  if (typeof value === 'number') return goNumber(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A number as Go prints an int64 (the apiserver decodes integral JSON numbers as int64) or a
 * float64 (`%v` is `%g` at the shortest precision: an exponent below -4 or from 6 up).
 */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) {
    const [mantissa = '', exponent = ''] = n.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(n);
}
