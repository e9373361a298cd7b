// SPDX-License-Identifier: Apache-2.0
// Chaosplane's semantic keywords as CEL `x-kubernetes-validations`, so a real API server (1.25+)
// refuses at `kubectl apply` what Chaos Mesh's validating webhook refuses, with its messages and
// field paths; the engine's own checks (api/validation.ts) give the same verdicts, with Go's
// exact wording where CEL cannot compute it (a duration's precise parse error).
import { celString } from '@chaosplane/sdk';
import type { ValidationRule } from '@chaosplane/cel';
import type { JsonSchema } from '../api/jsonSchema.js';

/** Go's duration syntax (time.ParseDuration), not negative: terms of a number and a unit. */
const GO_DURATION = '^[+]?((([0-9]+([.][0-9]*)?)|([.][0-9]+))(ns|us|µs|μs|ms|s|m|h))+$';

const durationRules: ValidationRule[] = [
  {
    rule: `self == '' || self == '0' || self.matches(${celString(GO_DURATION)})`,
    messageExpression: `'parse duration field error: time: invalid duration "' + self + '"'`,
  },
];

/** An integer Go's strconv.Atoi reads (19 digits: beyond int64, int() fails and so does the rule). */
const INT = celString('^[+-]?[0-9]{1,19}$');
const PERCENT_MODES = "['fixed-percent', 'random-max-percent']";

const selectorValueRules: ValidationRule[] = [
  {
    rule: `!(self.mode in ['fixed', 'fixed-percent', 'random-max-percent']) || (has(self.value) && self.value.matches(${INT}))`,
    messageExpression: `'parse value field error:strconv.Atoi: parsing "' + (has(self.value) ? self.value : '') + '": invalid syntax'`,
    fieldPath: '.value',
  },
  {
    rule: `self.mode != 'fixed' || !has(self.value) || !self.value.matches(${INT}) || int(self.value) > 0`,
    message: 'value must be greater than 0 with mode:fixed',
    fieldPath: '.value',
  },
  {
    rule:
      `!(self.mode in ${PERCENT_MODES}) || !has(self.value) || !self.value.matches(${INT}) || ` +
      '(int(self.value) > 0 && int(self.value) <= 100)',
    // The value as written, not string(int(…)): a real API server estimates string() as of any
    // length, and the concatenation would put the rule past its cost budget by more than 100x.
    messageExpression: `'value of ' + self.value + ' is invalid, Must be (0,100] with mode:' + self.mode`,
    fieldPath: '.value',
  },
];

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const podPhaseRules: ValidationRule[] = [
  {
    rule: `self.matches(${celString(`^!?(${PHASES.join('|')})$`)})`,
    messageExpression: `'Unsupported value: "' + self + '": supported values: ${PHASES.map(p => `"${p}"`).join(', ')}, each optionally prefixed with "!"'`,
  },
];

const labelRequirementRules: ValidationRule[] = [
  {
    rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
    message: "must be specified when `operator` is 'In' or 'NotIn'",
    fieldPath: '.values',
    reason: 'FieldValueRequired',
  },
  {
    rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
    message: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    fieldPath: '.values',
    reason: 'FieldValueForbidden',
  },
];

/** A label key: an optional DNS subdomain and `/`, then a name of 1–63 characters (Kubernetes' qualified name). */
const LABEL_KEY = celString(
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
);
/** A label value: empty, or 1–63 characters of `[-A-Za-z0-9_.]`, alphanumeric at both ends. */
const LABEL_VALUE = celString('^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$');

const labelRequirementKeyRule: ValidationRule = {
  rule: `self.key.matches(${LABEL_KEY})`,
  messageExpression: `'"' + self.key + '" is not a valid label key: an optional DNS subdomain and "/", then a name of at most 63 characters'`,
  fieldPath: '.key',
};

const labelMapRules: ValidationRule[] = [
  {
    rule: `self.all(k, k.matches(${LABEL_KEY}))`,
    messageExpression:
      `'"' + self.filter(k, !k.matches(${LABEL_KEY}))[0] + '" is not a valid label key: ` +
      `an optional DNS subdomain and "/", then a name of at most 63 characters'`,
  },
  {
    rule: `self.all(k, self[k].matches(${LABEL_VALUE}))`,
    messageExpression:
      `'"' + self[self.filter(k, !self[k].matches(${LABEL_VALUE}))[0]] + '" is not a valid label value: ` +
      `at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends'`,
  },
];

/**
 * The CEL rules of a node carrying Chaosplane keywords; for `podPhases` (on a list) the rule goes
 * on the items, so a bad entry is reported at its index.
 */
export function keywordRules(node: JsonSchema): { self: ValidationRule[]; items: ValidationRule[] } {
  const self: ValidationRule[] = [];
  if (node['goDuration'] === true) self.push(...durationRules);
  if (node['podSelectorValue'] === true) self.push(...selectorValueRules);
  if (node['labelRequirement'] === true) self.push(...labelRequirementRules, labelRequirementKeyRule);
  if (node['labelMap'] === true) self.push(...labelMapRules);
  return { self, items: node['podPhases'] === true ? podPhaseRules : [] };
}
