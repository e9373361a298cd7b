// SPDX-License-Identifier: Apache-2.0
/** metav1.LabelSelector objects (`matchLabels`, `matchExpressions`), as the string syntax's requirements. */
import { parseLabelSelector, type LabelSelector } from './labels.js';

/** A metav1.LabelSelector as JSON. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** The requirements of a selector object; an empty one (or none) selects everything. */
export function requirementsOf(selector: LabelSelectorObject | undefined): LabelSelector {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') terms.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return parseLabelSelector(terms.join(','));
}
