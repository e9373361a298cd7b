// SPDX-License-Identifier: Apache-2.0
// The numbers a kube-apiserver uses to estimate and bound the cost of CRD validation rules
// (k8s.io/apiserver/pkg/cel/limits.go, apiextensions' validation.go), and its wording.

/** Largest request body the estimate assumes: 3 MiB. Bounds every list, map and string without a declared maximum. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

/** Largest estimated cost of one expression (a rule times its cardinality, or a messageExpression). */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;

/** Largest sum of the estimated costs of every expression of one version's schema. */
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000;

/** Smallest JSON serializations, which bound how many values fit in one request. */
export const MIN_SIZE = {
  string: 2, // ""
  bool: 4, // true
  number: 1, // 0
  duration: 3, // "0"
  date: 12, // "YYYY-MM-DD"
  dateTime: 21, // "YYYY-MM-DDTHH:MM:SSZ"
} as const;

/** Longest JSON forms of the formatted strings. */
export const MAX_SIZE = { duration: 32, date: 12, dateTime: 32 } as const;

/** Go's `%f` (six decimals) or `%.1f`, as the API server formats an exceeding factor. */
function factorText(factor: number): string {
  if (factor > 100) return 'more than 100x';
  if (factor < 1.5) return `${factor.toFixed(6)}x`;
  return `${factor.toFixed(1)}x`;
}

/** The API server's sentence for an estimate over its limit (`costName` names what exceeds). */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  return (
    `${costName} exceeds budget by factor of ${factorText(cost / limit)} (try simplifying the rule, or adding ` +
    'maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)'
  );
}
