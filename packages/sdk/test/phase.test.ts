// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import {
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  isInjectedPhase,
  isNotInjectedPhase,
  subPhase,
} from '@chaosplane/sdk';

describe('phases', () => {
  it('decides apply or recover by prefix only', () => {
    expect(isNotInjectedPhase(PHASE_NOT_INJECTED)).toBe(true);
    expect(isNotInjectedPhase(subPhase(PHASE_NOT_INJECTED, 'Wait'))).toBe(true);
    expect(isNotInjectedPhase(PHASE_INJECTED)).toBe(false);
    expect(isInjectedPhase('Injected/Wait')).toBe(true);
    // "Injected" is not a prefix of "Not Injected", and the reverse.
    expect(isInjectedPhase(PHASE_NOT_INJECTED)).toBe(false);
    expect(isNotInjectedPhase('Not InjectedX')).toBe(false);
  });
});
