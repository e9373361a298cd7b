// SPDX-License-Identifier: Apache-2.0
/**
 * Whether a write is in a policy's `matchConstraints` (and a binding's `matchResources`), as the
 * API server's matcher decides: a resource rule matching the group, version, resource (with
 * `*`, `pods/*`, `*\/status`), operation, scope and name; no exclude rule matching; the
 * namespace's labels in `namespaceSelector` (cluster-scoped objects always are, a Namespace is
 * matched by its own labels); the new or the old object's labels in `objectSelector`.
 * `matchPolicy: Equivalent` adds nothing here: every resource is served in one version.
 */
import { requirementsOf } from '../selectors/labelSelectorObject.js';
import { matchLabels } from '../selectors/labels.js';
import { type AdmissionAttributes, type MatchResources, type ResourceRule } from './policyTypes.js';

const listHas = (list: string[] | undefined, value: string): boolean =>
  (list ?? []).some(v => v === '*' || v === value);

/** A rule's resource entry against `plural` and `subresource` (`pods`, `pods/status`, `*`, `*\/*`, `pods/*`). */
function resourceMatches(entry: string, plural: string, subresource: string | undefined): boolean {
  const [res = '', sub] = entry.split('/', 2);
  if (res !== '*' && res !== plural) return false;
  if (sub === undefined) return subresource === undefined;
  return sub === '*' || sub === subresource;
}

function scopeMatches(scope: ResourceRule['scope'], namespaced: boolean): boolean {
  if (scope === undefined || scope === '*') return true;
  return scope === 'Namespaced' ? namespaced : !namespaced;
}

/** One NamedRuleWithOperations against a write. */
export function ruleMatches(rule: ResourceRule, attrs: AdmissionAttributes): boolean {
  const type = attrs.type;
  return (
    listHas(rule.operations, attrs.operation) &&
    listHas(rule.apiGroups, type.group) &&
    listHas(rule.apiVersions, attrs.version) &&
    (rule.resources ?? []).some(r => resourceMatches(r, type.plural, attrs.subresource)) &&
    scopeMatches(rule.scope, type.namespaced) &&
    ((rule.resourceNames ?? []).length === 0 || rule.resourceNames!.includes(attrs.name))
  );
}

/** The labels `namespaceSelector` reads: the namespace's, or the Namespace's own for a Namespace. */
function namespaceLabelsMatch(
  match: MatchResources,
  attrs: AdmissionAttributes,
  namespaceLabels: Record<string, string> | undefined,
): boolean {
  const type = attrs.type;
  const isNamespace = type.group === '' && type.plural === 'namespaces';
  if (!type.namespaced && !isNamespace) return true;
  const labels = isNamespace ? (attrs.object ?? attrs.oldObject)?.metadata.labels : namespaceLabels;
  return matchLabels(requirementsOf(match.namespaceSelector), labels ?? {});
}

function objectLabelsMatch(match: MatchResources, attrs: AdmissionAttributes): boolean {
  const selector = requirementsOf(match.objectSelector);
  return [attrs.object, attrs.oldObject].some(
    o => o !== null && matchLabels(selector, o.metadata.labels ?? {}),
  );
}

/**
 * Whether `match` covers the write. `requireRules`: a policy's constraints match only through
 * their resource rules; a binding's `matchResources` without rules narrows nothing by resource.
 */
export function matchesResources(
  match: MatchResources | undefined,
  attrs: AdmissionAttributes,
  namespaceLabels: Record<string, string> | undefined,
  requireRules: boolean,
): boolean {
  if (match === undefined) return !requireRules;
  const rules = match.resourceRules ?? [];
  if (rules.length === 0 ? requireRules : !rules.some(r => ruleMatches(r, attrs))) return false;
  if ((match.excludeResourceRules ?? []).some(r => ruleMatches(r, attrs))) return false;
  return namespaceLabelsMatch(match, attrs, namespaceLabels) && objectLabelsMatch(match, attrs);
}
