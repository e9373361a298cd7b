// SPDX-License-Identifier: Apache-2.0
/**
 * The subset of structural-schema handling the apiserver applies to custom resources:
 * defaulting, pruning of unknown fields, and validation with apiserver-worded field errors.
 */
import { type FieldError, quoteValue, text } from '../errors.js';
import { type JsonObject, isMap } from '../types.js';

type Schema = JsonObject;

function props(schema: Schema): Record<string, Schema> | undefined {
  return isMap(schema.properties) ? (schema.properties as Record<string, Schema>) : undefined;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A property's value: a `null` the schema does not allow pruned, then its default if absent. */
function defaultProperty(schema: Schema, value: JsonObject, key: string): void {
  if (value[key] === null && schema.nullable !== true) delete value[key];
  if (value[key] === undefined && schema.default !== undefined) value[key] = structuredClone(schema.default);
  if (value[key] !== undefined) applyDefaults(schema, value[key]);
}

/** An object's properties, and the entries its `additionalProperties` schema covers. */
function defaultMap(schema: Schema, value: JsonObject): void {
  const p = props(schema);
  for (const [k, sub] of Object.entries(p ?? {})) defaultProperty(sub, value, k);
  const additional = schema.additionalProperties;
  if (!isMap(additional)) return;
  for (const k of Object.keys(value)) if (p?.[k] === undefined) defaultProperty(additional, value, k);
}

/**
 * Fills in `default` values, recursively, where a field is absent. A `null` where the schema does
 * not say `nullable: true` is pruned first, as the API server does (and so defaulted if it has a
 * default). Mutates `value`.
 */
export function applyDefaults(schema: Schema | undefined, value: unknown): void {
  if (!schema) return;
  if (isMap(value)) defaultMap(schema, value);
  else if (Array.isArray(value) && isMap(schema.items)) {
    for (const item of value) applyDefaults(schema.items, item);
  }
}

/** `apiVersion`, `kind` and `metadata` of an embedded resource (or the root) are not the schema's. */
function isTypeMetaOf(schema: Schema, isRoot: boolean, key: string): boolean {
  const embedded = schema['x-kubernetes-embedded-resource'] === true || isRoot;
  return embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata');
}

function pruneMap(schema: Schema, value: JsonObject, isRoot: boolean): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !props(schema)) return;
  const p = props(schema) ?? {};
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const k of Object.keys(value)) {
    if (isTypeMetaOf(schema, isRoot, k)) continue;
    if (p[k]) pruneUnknown(p[k], value[k]);
    else if (isMap(schema.additionalProperties)) pruneUnknown(schema.additionalProperties, value[k]);
    else if (!preserve && schema.additionalProperties !== true) delete value[k];
  }
}

/** Removes fields the schema does not know, unless it preserves unknown fields. Mutates `value`. */
export function pruneUnknown(schema: Schema | undefined, value: unknown, isRoot = false): void {
  if (!schema) return;
  if (isMap(value)) pruneMap(schema, value, isRoot);
  else if (Array.isArray(value) && isMap(schema.items)) {
    for (const item of value) pruneUnknown(schema.items, item);
  }
}

function unknownInMap(schema: Schema, value: JsonObject, path: string, isRoot: boolean): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const out: string[] = [];
  const p = props(schema) ?? {};
  for (const k of Object.keys(value)) {
    if (isTypeMetaOf(schema, isRoot, k)) continue;
    if (p[k]) out.push(...unknownFields(p[k], value[k], join(path, k), false));
    else if (isMap(schema.additionalProperties))
      out.push(...unknownFields(schema.additionalProperties, value[k], join(path, k), false));
    else if (schema.additionalProperties !== true) out.push(join(path, k));
  }
  return out;
}

/** Paths of fields that pruning would drop (for fieldValidation=Strict). */
export function unknownFields(
  schema: Schema | undefined,
  value: unknown,
  path = '',
  isRoot = true,
): string[] {
  if (!schema) return [];
  if (isMap(value)) return unknownInMap(schema, value, path, isRoot);
  if (Array.isArray(value) && isMap(schema.items)) {
    const items = schema.items;
    return value.flatMap((item, i) => unknownFields(items, item, `${path}[${i}]`, false));
  }
  return [];
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  if (expected === 'number') return actual === 'number' || actual === 'integer';
  if (expected === 'object') return actual === 'object';
  return expected === actual;
}

function invalidValue(shown: string, detail: string): FieldError {
  return { field: shown, type: 'FieldValueInvalid', detail };
}

/** A value of the wrong type; `fatal` when no other keyword of the schema applies to it then. */
function typeErrors(schema: Schema, value: unknown, shown: string): { errors: FieldError[]; fatal: boolean } {
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeOf(value) === 'integer' || typeof value === 'string') return { errors: [], fatal: false };
    const detail = `Invalid value: ${quoteValue(value)}: ${shown} in body must be of type integer,string: ${JSON.stringify(typeOf(value))}`;
    return { errors: [{ field: shown, type: 'FieldValueTypeInvalid', detail }], fatal: false };
  }
  const type = schema.type;
  if (typeof type !== 'string' || typeMatches(type, value)) return { errors: [], fatal: false };
  const detail = `Invalid value: ${JSON.stringify(typeOf(value))}: ${shown} in body must be of type ${type}: ${JSON.stringify(typeOf(value))}`;
  return { errors: [{ field: shown, type: 'FieldValueTypeInvalid', detail }], fatal: true };
}

function enumErrors(schema: Schema, value: unknown, shown: string): FieldError[] {
  if (!Array.isArray(schema.enum) || schema.enum.some(e => JSON.stringify(e) === JSON.stringify(value)))
    return [];
  return [
    {
      field: shown,
      type: 'FieldValueNotSupported',
      detail: `Unsupported value: ${quoteValue(value)}: supported values: ${schema.enum.map(e => quoteValue(e)).join(', ')}`,
    },
  ];
}

/** `minimum`, `maximum` (with their exclusive forms) and `multipleOf`. */
function numberErrors(schema: Schema, value: number, shown: string): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof schema.minimum === 'number') {
    const exclusive = schema.exclusiveMinimum === true;
    if (exclusive ? value <= schema.minimum : value < schema.minimum)
      errors.push(
        invalidValue(
          shown,
          `Invalid value: ${value}: ${shown} in body should be greater than ${exclusive ? '' : 'or equal to '}${schema.minimum}`,
        ),
      );
  }
  if (typeof schema.maximum === 'number') {
    const exclusive = schema.exclusiveMaximum === true;
    if (exclusive ? value >= schema.maximum : value > schema.maximum)
      errors.push(
        invalidValue(
          shown,
          `Invalid value: ${value}: ${shown} in body should be less than ${exclusive ? '' : 'or equal to '}${schema.maximum}`,
        ),
      );
  }
  if (typeof schema.multipleOf === 'number' && value % schema.multipleOf !== 0) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${value}: ${shown} in body should be a multiple of ${schema.multipleOf}`,
      ),
    );
  }
  return errors;
}

/** Whether a string matches a schema `pattern`; a pattern JavaScript cannot compile matches everything. */
function matchesPattern(pattern: string, value: string): boolean {
  let re: RegExp | undefined;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    re = undefined;
  }
  return !re || re.test(value);
}

/** `maxLength`, `minLength` (in characters), `pattern` and the `date-time` format. */
function stringErrors(schema: Schema, value: string, shown: string): FieldError[] {
  const errors: FieldError[] = [];
  const length = [...value].length;
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    errors.push({
      field: shown,
      type: 'FieldValueTooLong',
      detail: `Too long: may not be more than ${schema.maxLength} bytes`,
    });
  }
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body should be at least ${schema.minLength} chars long`,
      ),
    );
  }
  if (typeof schema.pattern === 'string' && !matchesPattern(schema.pattern, value)) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body should match '${schema.pattern}'`,
      ),
    );
  }
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body must be of type date-time: ${quoteValue(value)}`,
      ),
    );
  }
  return errors;
}

/** `maxItems`, `minItems`, `uniqueItems`, then each item against `items`. */
function arrayErrors(schema: Schema, value: unknown[], path: string, shown: string): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
    errors.push({
      field: shown,
      type: 'FieldValueTooMany',
      detail: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
    });
  }
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${value.length}: ${shown} in body should have at least ${schema.minItems} items`,
      ),
    );
  }
  if (schema.uniqueItems === true && new Set(value.map(v => JSON.stringify(v))).size !== value.length) {
    errors.push({
      field: shown,
      type: 'FieldValueDuplicate',
      detail: `Duplicate value: ${shown} in body shouldn't contain duplicates`,
    });
  }
  const items = schema.items;
  if (isMap(items)) value.forEach((item, i) => errors.push(...validateSchema(items, item, `${path}[${i}]`)));
  return errors;
}

/** `required`, then each property against its schema or `additionalProperties`. */
function propertyErrors(schema: Schema, value: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const p = props(schema);
  if (Array.isArray(schema.required)) {
    for (const r of schema.required) {
      if (typeof r === 'string' && value[r] === undefined)
        errors.push({ field: join(path, r), type: 'FieldValueRequired', detail: 'Required value' });
    }
  }
  if (p)
    for (const [k, sub] of Object.entries(p))
      if (value[k] !== undefined) errors.push(...validateSchema(sub, value[k], join(path, k)));
  const additional = schema.additionalProperties;
  if (isMap(additional)) {
    for (const [k, v] of Object.entries(value))
      if (!p || !p[k]) errors.push(...validateSchema(additional, v, join(path, k)));
  }
  return errors;
}

/** The properties, then `maxProperties` and `minProperties`. */
function objectErrors(schema: Schema, value: JsonObject, path: string, shown: string): FieldError[] {
  const errors = propertyErrors(schema, value, path);
  const count = Object.keys(value).length;
  if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) {
    errors.push({
      field: shown,
      type: 'FieldValueTooMany',
      detail: `Too many: ${count}: must have at most ${schema.maxProperties} items`,
    });
  }
  if (typeof schema.minProperties === 'number' && count < schema.minProperties) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${count}: ${shown} in body should have at least ${schema.minProperties} properties`,
      ),
    );
  }
  return errors;
}

/** `allOf`, `anyOf`, `oneOf` and `not`. */
function combinatorErrors(schema: Schema, value: unknown, path: string, shown: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const sub of Array.isArray(schema.allOf) ? (schema.allOf as Schema[]) : [])
    errors.push(...validateSchema(sub, value, path));
  const valid = (s: Schema): boolean => validateSchema(s, value, path).length === 0;
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as Schema[]).some(valid)) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body must match at least one schema in anyOf`,
      ),
    );
  }
  if (Array.isArray(schema.oneOf) && (schema.oneOf as Schema[]).filter(valid).length !== 1) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body must validate one and only one schema (oneOf)`,
      ),
    );
  }
  if (isMap(schema.not) && valid(schema.not)) {
    errors.push(
      invalidValue(
        shown,
        `Invalid value: ${quoteValue(value)}: ${shown} in body should not match the "not" schema`,
      ),
    );
  }
  return errors;
}

/** Validates a value against a schema; returns field errors worded like the apiserver's. */
export function validateSchema(schema: Schema | undefined, value: unknown, path = ''): FieldError[] {
  if (!schema) return [];
  const shown = path === '' ? '<root>' : path;
  if (value === null) {
    if (schema.nullable === true || schema.type === undefined) return [];
    return [
      {
        field: shown,
        type: 'FieldValueTypeInvalid',
        detail: `Invalid value: "null": ${shown} in body must be of type ${text(schema.type)}: "null"`,
      },
    ];
  }
  const typed = typeErrors(schema, value, shown);
  if (typed.fatal) return typed.errors;
  const errors = [...typed.errors, ...enumErrors(schema, value, shown)];
  if (typeof value === 'number') errors.push(...numberErrors(schema, value, shown));
  if (typeof value === 'string') errors.push(...stringErrors(schema, value, shown));
  if (Array.isArray(value)) errors.push(...arrayErrors(schema, value, path, shown));
  if (isMap(value)) errors.push(...objectErrors(schema, value, path, shown));
  errors.push(...combinatorErrors(schema, value, path, shown));
  return errors;
}
