// SPDX-License-Identifier: Apache-2.0
// The selection-time check of `mode` and `value`. The rules and messages are the SDK's (Chaos
// Mesh's admission-webhook messages, api/v1alpha1/common_webhook.go), so a manifest that
// bypassed admission fails here with the same words.
import { ChaosplaneError } from '@chaosplane/sdk';
import { SELECTOR_MODES, selectorValueViolations, type SelectorMode } from '@chaosplane/sdk/framework';

/** The modes Chaos Mesh accepts (the SDK's list). */
export { SELECTOR_MODES };

/** A validated mode with its parsed value (`undefined` for `one` and `all`, which ignore it). */
export interface ModeValue {
  readonly mode: SelectorMode;
  readonly value: number | undefined;
}

function isMode(mode: unknown): mode is SelectorMode {
  return (SELECTOR_MODES as readonly string[]).includes(mode as string);
}

/**
 * Validates a selector's `mode` and `value` and returns the parsed value.
 * @throws ChaosplaneError kind `invalid`, field `mode` or `value`, with Chaos Mesh's messages:
 *   `parse value field error:%s`, `value must be greater than 0 with mode:fixed`,
 *   `value of %d is invalid, Must be (0,100] with mode:%s`, and `mode %s not supported`
 *   (pkg/selector/generic/mode.go) for a mode the CRD enum would have refused.
 */
export function validateModeValue(mode: unknown, value: string | undefined): ModeValue {
  if (!isMode(mode)) {
    throw new ChaosplaneError('invalid', `mode ${String(mode)} not supported`, { field: 'mode' });
  }
  if (mode === 'one' || mode === 'all') return { mode, value: undefined };
  const [violation] = selectorValueViolations(mode, value, 'value');
  if (violation !== undefined) {
    throw new ChaosplaneError('invalid', violation.message, { field: 'value' });
  }
  return { mode, value: Number(value) };
}
