// SPDX-License-Identifier: Apache-2.0

/**
 * A record's phase. The two base phases are {@link PHASE_NOT_INJECTED} and
 * {@link PHASE_INJECTED}; plugins add sub-phases that keep the prefix
 * (`Not Injected/Wait`, `Injected/Wait`), and the prefix alone decides whether the next
 * call is apply or recover.
 */
export type Phase = string;

/** Nothing of this record is injected. */
export const PHASE_NOT_INJECTED = 'Not Injected';
/** The fault of this record is injected. */
export const PHASE_INJECTED = 'Injected';

/** True for `Not Injected` and every `Not Injected/…` sub-phase. */
export function isNotInjectedPhase(phase: Phase): boolean {
  return phase === PHASE_NOT_INJECTED || phase.startsWith(`${PHASE_NOT_INJECTED}/`);
}

/** True for `Injected` and every `Injected/…` sub-phase. */
export function isInjectedPhase(phase: Phase): boolean {
  return phase === PHASE_INJECTED || phase.startsWith(`${PHASE_INJECTED}/`);
}

/** Builds a sub-phase that keeps its base prefix, e.g. `subPhase(PHASE_NOT_INJECTED, 'Wait')`. */
export function subPhase(base: typeof PHASE_NOT_INJECTED | typeof PHASE_INJECTED, name: string): Phase {
  return `${base}/${name}`;
}
