// SPDX-License-Identifier: Apache-2.0
// Label-style requirements: equality maps (labelSelectors, annotationSelectors, nodeSelectors)
// and set-based expressions (expressionSelectors), with the API server's meaning and syntax.

/**
 * A label or annotation value, from the object's own keys only: `constructor` or `toString`
 * must not match through the prototype of a plain object.
 */
const own = (m: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(m, key) ? m[key] : undefined;
import { ChaosplaneError } from '@chaosplane/sdk';
import type { LabelSelectorRequirement } from '@chaosplane/sdk/framework';

/** One compiled requirement on a string map (labels or annotations). */
export interface MapRequirement {
  /** True when the map satisfies the requirement. */
  matches(map: Readonly<Record<string, string>>): boolean;
  /** The requirement in the API server's label-selector syntax (`app=web`, `tier in (a,b)`). */
  readonly text: string;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `prefix ${JSON.stringify(prefix)} must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `name ${JSON.stringify(name)} must be 1-63 characters of [-A-Za-z0-9_.], starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `value ${JSON.stringify(value)} must be at most 63 characters of [-A-Za-z0-9_.], starting and ending with an alphanumeric`;
  }
  return undefined;
}

function invalid(field: string, message: string): ChaosplaneError {
  return new ChaosplaneError('invalid', `${field}: ${message}`, { field });
}

/**
 * Compiles an equality map into requirements.
 * @param field - the spec field, for error messages (`selector.labelSelectors`).
 * @param validate - check label syntax (labels and node labels); annotations accept any text.
 */
export function compileEqualityMap(
  map: Readonly<Record<string, string>> | undefined,
  field: string,
  validate: boolean,
): MapRequirement[] {
  return Object.entries(map ?? {}).map(([key, value]) => {
    if (validate) {
      const problem = labelKeyProblem(key) ?? labelValueProblem(value);
      if (problem !== undefined) throw invalid(`${field}.${key}`, problem);
    }
    return { text: `${key}=${value}`, matches: m => own(m, key) === value };
  });
}

/** Compiles set-based expressions (`metav1.LabelSelectorRequirement`) into requirements. */
export function compileExpressions(
  expressions: readonly LabelSelectorRequirement[] | undefined,
  field: string,
): MapRequirement[] {
  return (expressions ?? []).map((expression, index) => {
    const at = `${field}[${index}]`;
    const { key, operator } = expression;
    const values = expression.values ?? [];
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) throw invalid(`${at}.key`, keyProblem);
    switch (operator) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) {
          throw invalid(`${at}.values`, `values set can't be empty with operator ${operator}`);
        }
        for (const value of values) {
          const problem = labelValueProblem(value);
          if (problem !== undefined) throw invalid(`${at}.values`, problem);
        }
        const set = new Set(values);
        const list = [...set].sort().join(',');
        return operator === 'In'
          ? {
              text: `${key} in (${list})`,
              matches: m => {
                const value = own(m, key);
                return value !== undefined && set.has(value);
              },
            }
          : {
              text: `${key} notin (${list})`,
              matches: m => {
                const value = own(m, key);
                return value === undefined || !set.has(value);
              },
            };
      }
      case 'Exists':
      case 'DoesNotExist': {
        if (values.length > 0) {
          throw invalid(`${at}.values`, `values set must be empty with operator ${operator}`);
        }
        return operator === 'Exists'
          ? { text: key, matches: m => own(m, key) !== undefined }
          : { text: `!${key}`, matches: m => own(m, key) === undefined };
      }
      default:
        throw invalid(`${at}.operator`, `${JSON.stringify(operator)} is not a valid label selector operator`);
    }
  });
}

/** The label-selector query string of a list of requirements (`a=b,c in (d)`), for a LIST call. */
export function toSelectorString(requirements: readonly MapRequirement[]): string {
  return requirements.map(requirement => requirement.text).join(',');
}
