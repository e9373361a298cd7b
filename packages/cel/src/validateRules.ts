// SPDX-License-Identifier: Apache-2.0
// `x-kubernetes-validations` evaluated as the API server does (apiextensions' schema/cel): each
// rule of a schema node runs with `self` bound to the node's value when the value is present; a
// rule that reads `oldSelf` runs only on an update, with the stored value at the same path; a
// rule that evaluates to false is a field error at the node's path (plus `fieldPath`), with its
// `message`, or what `messageExpression` evaluates to, and its `reason`.
import { compile, isTransitionRule } from './celProgram.js';

/** One entry of `x-kubernetes-validations`. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** Where the error is reported, relative to the node: `.field`, `.field.sub`, `['key']`. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A schema as JSON: the parts this module reads. */
export type JsonSchema = Record<string, unknown>;

/** One failed rule, worded as the API server words it. */
export interface RuleViolation {
  /** `spec.containerNames` */
  field: string;
  reason: NonNullable<ValidationRule['reason']>;
  /** The rule's message (or messageExpression's result). */
  message: string;
  /** The API server's detail: `Invalid value: "object": <message>`, `Forbidden: <message>`… */
  detail: string;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON type name the API server prints for a value (`"object"`, `"string"`). */
function typeName(schema: JsonSchema, value: unknown): string {
  if (typeof schema['type'] === 'string') return schema['type'];
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

/** A JSON value as CEL sees it: integers of `type: integer` nodes become CEL ints (bigint). */
export function toCel(schema: JsonSchema | undefined, value: unknown): unknown {
  if (schema === undefined) return value;
  if (schema['type'] === 'integer' && typeof value === 'number' && Number.isInteger(value))
    return BigInt(value);
  if (Array.isArray(value)) {
    const items = isMap(schema['items']) ? schema['items'] : undefined;
    return value.map(item => toCel(items, item));
  }
  if (isMap(value)) {
    const properties = isMap(schema['properties'])
      ? (schema['properties'] as Record<string, JsonSchema>)
      : {};
    const additional = isMap(schema['additionalProperties']) ? schema['additionalProperties'] : undefined;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, toCel(properties[k] ?? additional, v)]),
    );
  }
  return value;
}

/** `path` + a rule's `fieldPath` (`.containerNames` → `spec.containerNames`). */
function reportedField(path: string, fieldPath: string | undefined): string {
  if (fieldPath === undefined || fieldPath === '') return path === '' ? '<root>' : path;
  if (path === '') return fieldPath.replace(/^\./, '');
  return `${path}${fieldPath}`;
}

function detailOf(reason: RuleViolation['reason'], type: string, message: string): string {
  switch (reason) {
    case 'FieldValueForbidden':
      return `Forbidden: ${message}`;
    case 'FieldValueRequired':
      return `Required value: ${message}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${JSON.stringify(type)}: ${message}`;
    case 'FieldValueInvalid':
      return `Invalid value: ${JSON.stringify(type)}: ${message}`;
  }
}

/** The message of a failed rule: `messageExpression`'s string when it yields one, else `message`. */
function messageOf(rule: ValidationRule, bindings: { self: unknown; oldSelf?: unknown }): string {
  if (rule.messageExpression !== undefined) {
    try {
      const value = compile(rule.messageExpression)(bindings);
      if (typeof value === 'string' && value.trim() !== '') return value;
    } catch {
      // The API server falls back to `message` when messageExpression fails.
    }
  }
  return rule.message ?? `failed rule: ${rule.rule}`;
}

/** Which rules to run: every one, or only those that read `oldSelf` (the API server's update pass). */
type RuleSelection = 'all' | 'transition';

/** Evaluates the rules of one node. */
function nodeViolations(
  schema: JsonSchema,
  value: unknown,
  old: unknown,
  path: string,
  selection: RuleSelection,
): RuleViolation[] {
  const rules = Array.isArray(schema['x-kubernetes-validations'])
    ? (schema['x-kubernetes-validations'] as ValidationRule[])
    : [];
  const out: RuleViolation[] = [];
  for (const rule of rules) {
    const transition = isTransitionRule(rule.rule);
    if ((transition && old === undefined) || (!transition && selection === 'transition')) continue;
    const bindings = transition
      ? { self: toCel(schema, value), oldSelf: toCel(schema, old) }
      : { self: toCel(schema, value) };
    const reason = rule.reason ?? 'FieldValueInvalid';
    const field = reportedField(path, rule.fieldPath);
    let passed: unknown;
    try {
      passed = compile(rule.rule)(bindings);
    } catch (error) {
      const message = `${rule.rule}: ${error instanceof Error ? error.message : String(error)}`;
      out.push({
        field,
        reason: 'FieldValueInvalid',
        message,
        detail: detailOf('FieldValueInvalid', typeName(schema, value), message),
      });
      continue;
    }
    if (passed === true) continue;
    const message = messageOf(rule, bindings);
    out.push({ field, reason, message, detail: detailOf(reason, typeName(schema, value), message) });
  }
  return out;
}

const joinField = (path: string, key: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${key}]`;

/** The violations of the children of a node: its properties or map values, or its items. */
function childViolations(
  schema: JsonSchema,
  value: unknown,
  old: unknown,
  path: string,
  only: RuleSelection,
): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (isMap(value)) {
    const properties = isMap(schema['properties'])
      ? (schema['properties'] as Record<string, JsonSchema>)
      : undefined;
    const additional = isMap(schema['additionalProperties']) ? schema['additionalProperties'] : undefined;
    const oldMap = isMap(old) ? old : undefined;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = properties?.[key] ?? additional;
      out.push(
        ...validateRules(childSchema, child, { old: oldMap?.[key], path: joinField(path, key), only }),
      );
    }
  } else if (Array.isArray(value) && isMap(schema['items'])) {
    const items = schema['items'];
    value.forEach((item, i) => out.push(...validateRules(items, item, { path: `${path}[${i}]`, only })));
  }
  return out;
}

/**
 * Every rule of `schema` and its descendants that `value` fails. With `old` (an update), rules
 * reading `oldSelf` run where the stored object has a value at the same path; `only:
 * 'transition'` runs those alone (the rules that need no old value were checked already).
 */
export function validateRules(
  schema: JsonSchema | undefined,
  value: unknown,
  options: { old?: unknown; path?: string; only?: RuleSelection } = {},
): RuleViolation[] {
  if (schema === undefined || value === undefined) return [];
  const { old, path = '', only = 'all' } = options;
  return [
    ...nodeViolations(schema, value, old, path, only),
    ...childViolations(schema, value, old, path, only),
  ];
}

/** Compiles every rule of a schema; returns where a rule or a messageExpression does not compile, and why. */
export function compileErrors(
  schema: JsonSchema | undefined,
  path = '',
): { field: string; message: string }[] {
  if (schema === undefined) return [];
  const out: { field: string; message: string }[] = [];
  const rules = Array.isArray(schema['x-kubernetes-validations'])
    ? (schema['x-kubernetes-validations'] as ValidationRule[])
    : [];
  rules.forEach((rule, i) => {
    for (const [key, expression] of [
      ['rule', rule.rule],
      ['messageExpression', rule.messageExpression],
    ] as const) {
      if (typeof expression !== 'string') continue;
      try {
        compile(expression);
      } catch (error) {
        out.push({
          field: `${path}x-kubernetes-validations[${i}].${key}`,
          message: `compilation failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
  });
  const children: [string, unknown][] = [
    ...Object.entries(isMap(schema['properties']) ? schema['properties'] : {}).map(
      ([k, v]) => [`properties[${k}]`, v] as [string, unknown],
    ),
    ['items', schema['items']],
    ['additionalProperties', schema['additionalProperties']],
  ];
  for (const [key, child] of children) if (isMap(child)) out.push(...compileErrors(child, `${path}${key}.`));
  return out;
}
