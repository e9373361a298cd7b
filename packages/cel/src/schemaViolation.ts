// SPDX-License-Identifier: Apache-2.0
// ajv's error objects read as the API server's field errors for an OpenAPI v3 schema: the field
// path, the error type and the API server's words. One place chooses the wording of every schema
// violation, in two renderings: `detail` (a 422 cause, as kubectl prints it) and `message` (the
// condition alone, for a list of violations that names the field beside it).
import type { ErrorObject } from 'ajv';

/**
 * The Kubernetes field error types a schema violation is reported as, plus `UnknownField`: a
 * field `additionalProperties: false` refuses. That one is no field error in Kubernetes (its
 * strict decoding answers a 400 `unknown field "spec.x"`), and a structural CRD schema cannot
 * say it; the engine's strict spec schemas do.
 */
export type SchemaViolationReason =
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'UnknownField';

/** One violation of an OpenAPI v3 schema. */
export interface SchemaViolation {
  /** The field as the API server names it: `spec.ports[0].name`, `<root>` for the value itself. */
  field: string;
  /** The path below the validated value, for a caller that renders fields its own way. */
  path: ReadonlyArray<string | number>;
  reason: SchemaViolationReason;
  /** The API server's words: `Invalid value: "x": spec.a in body should match '^[a-z]+$'`. */
  detail: string;
  /**
   * The condition without the value and the path where `detail` repeats them (ajv's words:
   * `must be >= 0`, `must match pattern "^[a-z]+$"`; `must be of type string, got integer`);
   * otherwise `detail` (`Required value`, `Unsupported value: "x": supported values: …`).
   */
  message: string;
}

/** Quotes a value as the API server's messages do (Go's `%q` for strings, JSON otherwise). */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value).slice(0, 200);
  return String(value as number | boolean | bigint);
}

/** The JSON type of a value as the API server names it (`integer` for a whole number). */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The segments of a JSON pointer (ajv's `instancePath`); array indexes as numbers. */
export function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map(s => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** A path as the API server prints a field: `spec.containers[0].name`, after `root`. */
export function fieldPathOf(root: string, path: ReadonlyArray<string | number>): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out = `${out}[${segment}]`;
    else out = out === '' ? segment : `${out}.${segment}`;
  }
  return out;
}

interface Described {
  reason: SchemaViolationReason;
  detail: string;
  message?: string;
}

/** `Invalid value: V: FIELD in body CONDITION`, the API server's form for schema keywords. */
function invalid(value: unknown, shown: string, condition: string, message: string): Described {
  return {
    reason: 'FieldValueInvalid',
    detail: `Invalid value: ${quoteValue(value)}: ${shown} in body ${condition}`,
    message,
  };
}

function typeError(error: ErrorObject, value: unknown, shown: string): Described {
  const wanted = String(error.params['type']);
  const actual = jsonTypeOf(value);
  return {
    reason: 'FieldValueTypeInvalid',
    detail: `Invalid value: ${JSON.stringify(actual)}: ${shown} in body must be of type ${wanted}: ${JSON.stringify(actual)}`,
    message: `must be of type ${wanted}, got ${actual}`,
  };
}

function intOrStringError(value: unknown, shown: string): Described {
  const actual = jsonTypeOf(value);
  return {
    reason: 'FieldValueTypeInvalid',
    detail: `Invalid value: ${quoteValue(value)}: ${shown} in body must be of type integer,string: ${JSON.stringify(actual)}`,
    message: `must be of type integer,string, got ${actual}`,
  };
}

function enumError(error: ErrorObject, value: unknown): Described {
  const allowed = (error.params['allowedValues'] as unknown[]).map(quoteValue).join(', ');
  return {
    reason: 'FieldValueNotSupported',
    detail: `Unsupported value: ${quoteValue(value)}: supported values: ${allowed}`,
  };
}

function boundError(error: ErrorObject, value: unknown, shown: string): Described {
  const limit = String(error.params['limit']);
  const word = error.keyword.endsWith('inimum') ? 'greater than' : 'less than';
  const orEqual = error.keyword.startsWith('exclusive') ? '' : 'or equal to ';
  return invalid(value, shown, `should be ${word} ${orEqual}${limit}`, error.message ?? '');
}

/** Keywords on a number or a string. */
function scalarError(error: ErrorObject, value: unknown, shown: string): Described | undefined {
  const limit = error.params['limit'] as number;
  const message = error.message ?? '';
  switch (error.keyword) {
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return boundError(error, value, shown);
    case 'multipleOf':
      return invalid(value, shown, `should be a multiple of ${String(error.params['multipleOf'])}`, message);
    case 'maxLength':
      return { reason: 'FieldValueTooLong', detail: `Too long: may not be more than ${limit} bytes` };
    case 'minLength':
      return invalid(value, shown, `should be at least ${limit} chars long`, message);
    case 'pattern':
      return invalid(value, shown, `should match '${String(error.params['pattern'])}'`, message);
    case 'format':
      return invalid(
        value,
        shown,
        `must be of type ${String(error.params['format'])}: ${quoteValue(value)}`,
        message,
      );
    default:
      return undefined;
  }
}

/** Keywords on an array or an object (`required` and `additionalProperties` name a child). */
function collectionError(error: ErrorObject, value: unknown, shown: string): Described | undefined {
  const limit = error.params['limit'] as number;
  const count = Array.isArray(value) ? value.length : Object.keys(value ?? {}).length;
  const message = error.message ?? '';
  switch (error.keyword) {
    case 'maxItems':
    case 'maxProperties':
      return { reason: 'FieldValueTooMany', detail: `Too many: ${count}: must have at most ${limit} items` };
    case 'minItems':
      return invalid(count, shown, `should have at least ${limit} items`, message);
    case 'minProperties':
      return invalid(count, shown, `should have at least ${limit} properties`, message);
    case 'uniqueItems':
      return {
        reason: 'FieldValueDuplicate',
        detail: `Duplicate value: ${shown} in body shouldn't contain duplicates`,
      };
    case 'required':
      return { reason: 'FieldValueRequired', detail: 'Required value' };
    default:
      return undefined;
  }
}

/** `anyOf`, `oneOf` and `not`: one error for the value, none for the branches tried. */
function combinatorError(error: ErrorObject, value: unknown, shown: string): Described | undefined {
  const message = error.message ?? '';
  switch (error.keyword) {
    case 'anyOf':
      return invalid(value, shown, 'must match at least one schema in anyOf', message);
    case 'oneOf':
      return invalid(value, shown, 'must validate one and only one schema (oneOf)', message);
    case 'not':
      return invalid(value, shown, 'should not match the "not" schema', message);
    default:
      return undefined;
  }
}

/** The child a `required` or `additionalProperties` error is about, if any. */
function childOf(error: ErrorObject): string | undefined {
  if (error.keyword === 'required') return String(error.params['missingProperty']);
  if (error.keyword === 'additionalProperties') return String(error.params['additionalProperty']);
  return undefined;
}

/** The keyword kube-emulator's schemas use for `x-kubernetes-int-or-string` (see compileSchema). */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

function describe(error: ErrorObject, value: unknown, shown: string, field: string): Described {
  if (error.keyword === 'type') return typeError(error, value, shown);
  if (error.keyword === INT_OR_STRING) return intOrStringError(value, shown);
  if (error.keyword === 'enum') return enumError(error, value);
  if (error.keyword === 'additionalProperties')
    return { reason: 'UnknownField', detail: `unknown field ${JSON.stringify(field)}` };
  const described =
    scalarError(error, value, shown) ??
    collectionError(error, value, shown) ??
    combinatorError(error, value, shown);
  return described ?? invalid(value, shown, error.message ?? `fails ${error.keyword}`, error.message ?? '');
}

/**
 * One ajv error as the API server reports it. `value` is the value at the error's
 * `instancePath` (by default ajv's `data`, there when it was compiled with `verbose`); `root` is the field path
 * of the validated value (`''` for a whole object: its own errors say `<root>`).
 */
export function describeSchemaError(
  error: ErrorObject,
  value: unknown = error.data,
  root = '',
): SchemaViolation {
  const at = pointerSegments(error.instancePath);
  const shown = fieldPathOf(root, at) || '<root>';
  const child = childOf(error);
  const path = child === undefined ? at : [...at, child];
  const field = fieldPathOf(root, path) || '<root>';
  const described = describe(error, value, shown, field);
  const message =
    error.keyword === 'additionalProperties' ? `unknown field ${JSON.stringify(child)}` : described.message;
  return {
    field,
    path,
    reason: described.reason,
    detail: described.detail,
    message: message ?? described.detail,
  };
}
