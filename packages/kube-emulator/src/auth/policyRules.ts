// SPDX-License-Identifier: Apache-2.0
/**
 * Whether one RBAC rule allows a request, with the RBAC authorizer's matching: `*` for verbs,
 * API groups and resources, `*` then `/SUBRESOURCE` for any resource's subresource, resource names only for requests that name an
 * object, and non-resource URLs exactly or by a trailing `*` prefix.
 */
import { type RequestAttributes } from './requestAttributes.js';

/** An RBAC PolicyRule. */
export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const has = (list: string[] | undefined, value: string): boolean =>
  (list ?? []).some(item => item === '*' || item === value);

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    r =>
      r === '*' ||
      r === combined ||
      (subresource !== '' && r.length === subresource.length + 2 && r === `*/${subresource}`),
  );
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    url => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))),
  );
}

/** Whether `rule` allows the request. */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!attrs.resourceRequest) return nonResourceURLMatches(rule, attrs.path);
  const combined = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  return (
    has(rule.apiGroups, attrs.apiGroup) &&
    resourceMatches(rule, combined, attrs.subresource) &&
    resourceNameMatches(rule, attrs.name)
  );
}

/** Two rules with the same content (nil and empty lists alike), as the aggregation controller compares them. */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const keys: Array<keyof PolicyRule> = [
    'verbs',
    'apiGroups',
    'resources',
    'resourceNames',
    'nonResourceURLs',
  ];
  return keys.every(k => JSON.stringify(a[k] ?? []) === JSON.stringify(b[k] ?? []));
}
