// SPDX-License-Identifier: Apache-2.0
// podPhaseSelectors (`Running` includes, `!Failed` excludes) plus Chaosplane's non-Running rule:
// a pod whose phase is not Running is selected only when podPhaseSelectors names that phase as
// an include. In Chaos Mesh `mode: all` picked Completed pods and the experiment never finished
// (chaos-mesh#4476, #3315).
import { ChaosplaneError } from '@chaosplane/sdk';
import { POD_PHASES } from '@chaosplane/sdk/framework';

/** The compiled phase rule of one selector. */
export interface PhaseRule {
  /** Phases named as includes. */
  readonly includes: ReadonlySet<string>;
  /** Phases named as excludes (`!Phase`). */
  readonly excludes: ReadonlySet<string>;
  /** Why a pod in `phase` is excluded, or undefined when the phase is selected. */
  exclusionReason(phase: string): string | undefined;
}

const PHASES: ReadonlySet<string> = new Set(POD_PHASES);

/**
 * Compiles `podPhaseSelectors`.
 * @throws ChaosplaneError kind `invalid` naming the entry when it is not `Phase` or `!Phase`.
 */
export function compilePhaseRule(
  entries: readonly string[] | undefined,
  field = 'selector.podPhaseSelectors',
): PhaseRule {
  const includes = new Set<string>();
  const excludes = new Set<string>();
  (entries ?? []).forEach((entry, index) => {
    const exclude = entry.startsWith('!');
    const phase = exclude ? entry.slice(1) : entry;
    if (!PHASES.has(phase)) {
      throw new ChaosplaneError(
        'invalid',
        `${field}[${index}]: ${JSON.stringify(entry)} is not a pod phase or its negation (unsupported operator; phases: ${POD_PHASES.join(', ')})`,
        { field: `${field}[${index}]` },
      );
    }
    (exclude ? excludes : includes).add(phase);
  });
  return {
    includes,
    excludes,
    exclusionReason(phase) {
      const shown = phase === '' ? '(none)' : phase;
      if (excludes.has(phase)) return `phase ${shown} is excluded by podPhaseSelectors`;
      if (includes.has(phase)) return undefined;
      if (includes.size > 0) return `phase ${shown} is not selected`;
      if (phase !== 'Running') {
        return `phase ${shown} is not selected (a pod that is not Running is selected only when podPhaseSelectors names its phase)`;
      }
      return undefined;
    },
  };
}
