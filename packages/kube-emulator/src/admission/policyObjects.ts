// SPDX-License-Identifier: Apache-2.0
/**
 * Validation of ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects, the rules
 * of the API server's that a policy's enforcement depends on: required fields, expressions that
 * compile (`compilation failed: …`, a 422 as the API server's), identifier names of variables and
 * match conditions, binding actions. Policy parameters (`spec.paramKind`, `spec.paramRef`) are
 * not supported by the emulator and refused here, naming the field, rather than ignored.
 */
import { compileExpression } from '@chaosplane/cel';
import { type FieldError, quoteValue } from '../errors.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import { ADMISSION_GROUP, BINDINGS, type BindingSpec, POLICIES, type PolicySpec } from './policyTypes.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACTIONS = ['Deny', 'Warn', 'Audit'];

const required = (field: string): FieldError => ({
  field,
  type: 'FieldValueRequired',
  detail: 'Required value',
});

/** A compile error of the expression at `field`, or none. */
function compiled(field: string, expression: unknown): FieldError[] {
  if (typeof expression !== 'string' || expression.trim() === '') return [required(field)];
  try {
    compileExpression(expression);
    return [];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [
      {
        field,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(expression)}: compilation failed: ERROR: ${why}`,
      },
    ];
  }
}

/** `matchConditions` and `variables`: a name (an identifier for variables), a compiling expression. */
function namedExpressionErrors(path: string, list: unknown, identifiers: boolean): FieldError[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: { name?: unknown; expression?: unknown }, i) => {
    const at = `${path}[${i}]`;
    const errors = compiled(`${at}.expression`, entry?.expression);
    if (typeof entry?.name !== 'string' || entry.name === '') errors.push(required(`${at}.name`));
    else if (identifiers && !IDENTIFIER.test(entry.name))
      errors.push({
        field: `${at}.name`,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(entry.name)}: name is not a valid CEL identifier`,
      });
    return errors;
  });
}

function unsupported(field: string, what: string): FieldError {
  return {
    field,
    type: 'FieldValueForbidden',
    detail: `Forbidden: ${what} are not supported by kube-emulator`,
  };
}

function policyErrors(spec: PolicySpec): FieldError[] {
  const errors: FieldError[] = [];
  if (spec.paramKind !== undefined) errors.push(unsupported('spec.paramKind', 'policy parameters'));
  const rules = isMap(spec.matchConstraints) ? spec.matchConstraints.resourceRules : undefined;
  if (!Array.isArray(rules) || rules.length === 0)
    errors.push(required('spec.matchConstraints.resourceRules'));
  const validations = Array.isArray(spec.validations) ? spec.validations : [];
  if (validations.length === 0) errors.push(required('spec.validations'));
  validations.forEach((v, i) => {
    errors.push(...compiled(`spec.validations[${i}].expression`, v?.expression));
    if (v?.messageExpression !== undefined)
      errors.push(...compiled(`spec.validations[${i}].messageExpression`, v.messageExpression));
  });
  errors.push(...namedExpressionErrors('spec.matchConditions', spec.matchConditions, false));
  errors.push(...namedExpressionErrors('spec.variables', spec.variables, true));
  return errors;
}

function bindingErrors(spec: BindingSpec): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof spec.policyName !== 'string' || spec.policyName === '') errors.push(required('spec.policyName'));
  if (spec.paramRef !== undefined) errors.push(unsupported('spec.paramRef', 'policy parameters'));
  const actions = Array.isArray(spec.validationActions) ? spec.validationActions : [];
  if (actions.length === 0) errors.push(required('spec.validationActions'));
  actions.forEach((action, i) => {
    if (!ACTIONS.includes(action))
      errors.push({
        field: `spec.validationActions[${i}]`,
        type: 'FieldValueNotSupported',
        detail: `Unsupported value: ${quoteValue(action)}: supported values: "Audit", "Deny", "Warn"`,
      });
    else if (actions.indexOf(action) !== i)
      errors.push({
        field: `spec.validationActions[${i}]`,
        type: 'FieldValueDuplicate',
        detail: `Duplicate value: ${quoteValue(action)}`,
      });
  });
  if (actions.includes('Deny') && actions.includes('Warn'))
    errors.push({
      field: 'spec.validationActions',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${JSON.stringify(actions)}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)`,
    });
  return errors;
}

/** Whether a type is one of the policies' kinds. */
export function isPolicyType(type: ResourceType): boolean {
  return type.group === ADMISSION_GROUP && (type.plural === POLICIES || type.plural === BINDINGS);
}

/** The field errors of a policy or binding object (none for other kinds). */
export function validatePolicyObject(obj: KubeObject, type: ResourceType): FieldError[] {
  if (!isPolicyType(type)) return [];
  if (!isMap(obj.spec)) return [required('spec')];
  return type.plural === POLICIES
    ? policyErrors(obj.spec as PolicySpec)
    : bindingErrors(obj.spec as BindingSpec);
}
