// SPDX-License-Identifier: Apache-2.0
// The selection-time check of `mode` and `value`, with Chaos Mesh's admission-webhook messages
// (api/v1alpha1/common_webhook.go), so a manifest that bypassed admission fails the same way.
import { ChaosplaneError, type SelectorMode } from '@chaosplane/core';

/** The modes Chaos Mesh accepts. */
export const SELECTOR_MODES: readonly SelectorMode[] = [
  'one',
  'all',
  'fixed',
  'fixed-percent',
  'random-max-percent',
];

/** A validated mode with its parsed value (`undefined` for `one` and `all`, which ignore it). */
export interface ModeValue {
  readonly mode: SelectorMode;
  readonly value: number | undefined;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses like Go's `strconv.Atoi` on a 64-bit platform, returning Go's error text on failure,
 * because Chaos Mesh's message embeds it (`parse value field error:strconv.Atoi: …`).
 */
export function parseGoInt(text: string): { value: number } | { error: string } {
  const quoted = JSON.stringify(text);
  if (!/^[+-]?[0-9]+$/.test(text)) {
    return { error: `strconv.Atoi: parsing ${quoted}: invalid syntax` };
  }
  const big = BigInt(text);
  if (big > INT64_MAX || big < INT64_MIN) {
    return { error: `strconv.Atoi: parsing ${quoted}: value out of range` };
  }
  return { value: Number(big) };
}

function isMode(mode: unknown): mode is SelectorMode {
  return SELECTOR_MODES.includes(mode as SelectorMode);
}

/**
 * Validates a selector's `mode` and `value` and returns the parsed value.
 * @throws ChaosplaneError kind `invalid`, field `mode` or `value`, with Chaos Mesh's messages:
 *   `parse value field error:%s`, `value must be greater than 0 with mode:fixed`,
 *   `value of %d is invalid, Must be (0,100] with mode:%s`, `mode %s not supported`.
 */
export function validateModeValue(mode: unknown, value: string | undefined): ModeValue {
  if (!isMode(mode)) {
    throw new ChaosplaneError('invalid', `mode ${String(mode)} not supported`, { field: 'mode' });
  }
  if (mode === 'one' || mode === 'all') {
    return { mode, value: undefined };
  }
  const parsed = parseGoInt(value ?? '');
  if ('error' in parsed) {
    throw new ChaosplaneError('invalid', `parse value field error:${parsed.error}`, { field: 'value' });
  }
  const number = parsed.value;
  if (mode === 'fixed') {
    if (number <= 0) {
      throw new ChaosplaneError('invalid', 'value must be greater than 0 with mode:fixed', {
        field: 'value',
      });
    }
  } else if (number <= 0 || number > 100) {
    throw new ChaosplaneError('invalid', `value of ${number} is invalid, Must be (0,100] with mode:${mode}`, {
      field: 'value',
    });
  }
  return { mode, value: number };
}
