// SPDX-License-Identifier: Apache-2.0
// metav1.LabelSelector as controllers match it against labels: every matchLabels pair and every
// expression must hold; an empty selector matches everything, an absent one nothing
// (LabelSelectorAsSelector).
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';

/** True when one set-based requirement holds for the label's current value. */
function expressionHolds(operator: string, values: readonly string[], current: string | undefined): boolean {
  switch (operator) {
    case 'In':
      return current !== undefined && values.includes(current);
    case 'NotIn':
      return current === undefined || !values.includes(current);
    case 'Exists':
      return current !== undefined;
    case 'DoesNotExist':
      return current === undefined;
    default:
      return false;
  }
}

/** True when `labels` satisfy `selector`; an absent selector matches nothing. */
export function selectorMatches(
  selector: ILabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined || selector === null) return false;
  const have = labels ?? {};
  const value = (key: string) => (Object.hasOwn(have, key) ? have[key] : undefined);
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, wanted]) => value(key) === wanted) &&
    (selector.matchExpressions ?? []).every(e => expressionHolds(e.operator, e.values ?? [], value(e.key)))
  );
}

/** True for a selector that selects every object (`{}`): controllers refuse to act on one. */
export function selectsEverything(selector: ILabelSelector | undefined): boolean {
  return (
    selector !== undefined &&
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0
  );
}
