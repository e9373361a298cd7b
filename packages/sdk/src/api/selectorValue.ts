// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's rule for a selector's `value` under each mode (api/v1alpha1/common_webhook.go),
// with its messages: the engine's validation and the selectors' selection-time check share it.
import type { Violation } from '../plugin/types.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * Go's strconv.Atoi on a 64-bit platform, with its error text, for Chaos Mesh's
 * `parse value field error:%s`: the whole int64 range, exactly (hence a bigint).
 */
function atoi(text: string): bigint | string {
  if (!/^[+-]?\d+$/.test(text)) return `strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
  const value = BigInt(text);
  if (value > INT64_MAX || value < INT64_MIN) {
    return `strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`;
  }
  return value;
}

/**
 * Chaos Mesh's rules for `mode` and `value` (`value must be greater than 0 with mode:fixed`,
 * `value of %d is invalid, Must be (0,100] with mode:%s`, `parse value field error:%s`).
 * `one` and `all` ignore `value`.
 */
export function selectorValueViolations(mode: unknown, value: unknown, field: string): Violation[] {
  if (mode !== 'fixed' && mode !== 'fixed-percent' && mode !== 'random-max-percent') return [];
  const parsed = atoi(typeof value === 'string' ? value : '');
  if (typeof parsed === 'string') return [{ field, message: `parse value field error:${parsed}` }];
  if (mode === 'fixed') {
    return parsed > 0n ? [] : [{ field, message: 'value must be greater than 0 with mode:fixed' }];
  }
  return parsed > 0n && parsed <= 100n
    ? []
    : [{ field, message: `value of ${parsed} is invalid, Must be (0,100] with mode:${mode}` }];
}
