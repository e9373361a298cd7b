// SPDX-License-Identifier: Apache-2.0
import type {
  ChaosplaneError,
  ChaosplaneErrorKind,
  SelectedTarget,
  SelectionContext,
  Target,
  TargetSelector,
} from '@chaosplane/sdk';
import type { Exclusion, NamespaceVerdict } from './evaluatePods.js';

/** The dry run of a selector: what it would pick and why everything else is left out. */
export interface SelectionExplanation {
  /** The selector kind. */
  readonly kind: string;
  /** The namespaces considered and the gates' verdicts. */
  readonly namespaces: readonly NamespaceVerdict[];
  /** Ids that pass every gate and check, before the mode. */
  readonly eligible: readonly string[];
  /** The targets picked by the mode (a random pick for random modes, as a real run would make). */
  readonly targets: readonly SelectedTarget[];
  /** Each pod of the namespaces considered that is not a target, with the reasons. */
  readonly excluded: readonly Exclusion[];
  /** Set when the real selection would fail (`no pod is selected`, a bad spec…). */
  readonly error?: { readonly kind: ChaosplaneErrorKind; readonly message: string; readonly field?: string };
}

/** A {@link TargetSelector} that can also explain itself. */
export interface ExplainableSelector<Spec = unknown, T extends Target = Target> extends TargetSelector<
  Spec,
  T
> {
  /** Dry run: the same code as {@link select}, with every exclusion reason. */
  explain(spec: Spec, context: SelectionContext): Promise<SelectionExplanation>;
}

/** True when a selector has an `explain` method. */
export function isExplainable(selector: { kind: string }): selector is ExplainableSelector {
  return typeof (selector as Partial<ExplainableSelector>).explain === 'function';
}

/** The serialisable part of an error, for an explanation. */
export function errorSummary(error: ChaosplaneError): NonNullable<SelectionExplanation['error']> {
  return error.field === undefined
    ? { kind: error.kind, message: error.message }
    : { kind: error.kind, message: error.message, field: error.field };
}
