// SPDX-License-Identifier: Apache-2.0
import {
  ChaosplaneError,
  type SelectedTarget,
  type SelectionContext,
  type SelectorRef,
  type Target,
  type TargetSelector,
} from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';
import { isExplainable, type SelectionExplanation } from '../selection/explanation.js';

/** A {@link SelectorRegistry} that can also dry-run a selector reference. */
export interface ExplainingSelectorRegistry extends SelectorRegistry {
  /** Dry run: the targets and the reasons for every exclusion, from the same code as `select`. */
  explain(ref: SelectorRef, context: SelectionContext): Promise<SelectionExplanation>;
}

/**
 * A registry keyed by selector kind (Chaos Mesh dispatches on the spec's Go type; we dispatch on
 * `SelectorRef.kind`). Plugins add kinds by contributing a {@link TargetSelector}.
 * @throws ChaosplaneError `invalid` when two selectors claim the same kind.
 */
export function createSelectorRegistry(selectors: readonly TargetSelector[]): ExplainingSelectorRegistry {
  const byKind = new Map<string, TargetSelector>();
  for (const selector of selectors) {
    if (typeof selector.kind !== 'string' || selector.kind === '') {
      throw new ChaosplaneError('invalid', 'a selector must have a non-empty kind', { field: 'kind' });
    }
    if (byKind.has(selector.kind)) {
      throw new ChaosplaneError('invalid', `two selectors are registered for kind ${selector.kind}`, {
        field: 'kind',
      });
    }
    byKind.set(selector.kind, selector);
  }
  const kinds = (): string[] => [...byKind.keys()].sort();
  const lookup = (kind: string): TargetSelector => {
    const selector = byKind.get(kind);
    if (selector === undefined) {
      throw new ChaosplaneError(
        'invalid',
        `specification type not found: ${String(kind)} (known selector kinds: ${kinds().join(', ') || 'none'})`,
        { field: 'kind' },
      );
    }
    return selector;
  };
  return {
    kinds,
    async select(ref: SelectorRef, context: SelectionContext): Promise<SelectedTarget[]> {
      return lookup(ref?.kind).select(ref.spec, context);
    },
    async resolve(kind: string, target: SelectedTarget, signal: AbortSignal): Promise<Target> {
      const selector = lookup(kind);
      // A kind that cannot read its targets back hands them over as they were selected.
      if (selector.resolve === undefined) return { ...target, kind };
      return selector.resolve(target, signal);
    },
    async explain(ref, context) {
      const selector = lookup(ref?.kind);
      if (isExplainable(selector)) return selector.explain(ref.spec, context);
      // A plugin kind without explain(): the dry run can still list its targets.
      const targets = await selector.select(ref.spec, context);
      return {
        kind: ref.kind,
        namespaces: [],
        eligible: targets.map(target => target.id),
        targets,
        excluded: [],
      };
    },
  };
}
