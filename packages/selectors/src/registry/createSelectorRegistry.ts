// SPDX-License-Identifier: Apache-2.0
import {
  ChaosplaneError,
  type SelectionContext,
  type SelectorRef,
  type SelectorRegistry,
  type Target,
  type TargetSelector,
} from '@chaosplane/core';
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
  const lookup = (ref: SelectorRef): TargetSelector => {
    const selector = byKind.get(ref?.kind);
    if (selector === undefined) {
      throw new ChaosplaneError(
        'invalid',
        `specification type not found: ${String(ref?.kind)} (known selector kinds: ${kinds().join(', ') || 'none'})`,
        { field: 'kind' },
      );
    }
    return selector;
  };
  return {
    kinds,
    async select(ref: SelectorRef, context: SelectionContext): Promise<Target[]> {
      return lookup(ref).select(ref.spec, context);
    },
    async explain(ref, context) {
      const selector = lookup(ref);
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
