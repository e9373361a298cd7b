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

/** Fills in `default` values, recursively, where a field is absent. Mutates `value`. */
export function applyDefaults(schema: Schema | undefined, value: unknown): void {
  if (!schema) return;
  if (isMap(value)) {
    const p = props(schema);
    if (p) {
      for (const [k, sub] of Object.entries(p)) {
        if (value[k] === undefined && sub.default !== undefined) value[k] = structuredClone(sub.default);
        if (value[k] !== undefined) applyDefaults(sub, value[k]);
      }
    }
    if (isMap(schema.additionalProperties)) {
      for (const v of Object.values(value)) applyDefaults(schema.additionalProperties, v);
    }
  } else if (Array.isArray(value) && isMap(schema.items)) {
    for (const item of value) applyDefaults(schema.items, item);
  }
}

/** Removes fields the schema does not know, unless it preserves unknown fields. Mutates `value`. */
export function pruneUnknown(schema: Schema | undefined, value: unknown, isRoot = false): void {
  if (!schema) return;
  if (isMap(value)) {
    if (schema['x-kubernetes-preserve-unknown-fields'] === true && !props(schema)) return;
    const p = props(schema) ?? {};
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = schema['x-kubernetes-embedded-resource'] === true || isRoot;
    for (const k of Object.keys(value)) {
      if (embedded && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      if (p[k]) pruneUnknown(p[k], value[k]);
      else if (isMap(schema.additionalProperties)) pruneUnknown(schema.additionalProperties, value[k]);
      else if (!preserve && schema.additionalProperties !== true) delete value[k];
    }
  } else if (Array.isArray(value) && isMap(schema.items)) {
    for (const item of value) pruneUnknown(schema.items, item);
  }
}

/** Paths of fields that pruning would drop (for fieldValidation=Strict). */
export function unknownFields(
  schema: Schema | undefined,
  value: unknown,
  path = '',
  isRoot = true,
): string[] {
  if (!schema) return [];
  const out: string[] = [];
  if (isMap(value)) {
    if (schema['x-kubernetes-preserve-unknown-fields'] === true) return out;
    const p = props(schema) ?? {};
    const embedded = schema['x-kubernetes-embedded-resource'] === true || isRoot;
    for (const k of Object.keys(value)) {
      if (embedded && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      if (p[k]) out.push(...unknownFields(p[k], value[k], join(path, k), false));
      else if (isMap(schema.additionalProperties))
        out.push(...unknownFields(schema.additionalProperties, value[k], join(path, k), false));
      else if (schema.additionalProperties !== true) out.push(join(path, k));
    }
  } else if (Array.isArray(value) && isMap(schema.items)) {
    value.forEach((item, i) =>
      out.push(...unknownFields(schema.items as Schema, item, `${path}[${i}]`, false)),
    );
  }
  return out;
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

/** Validates a value against a schema; returns field errors worded like the apiserver's. */
export function validateSchema(schema: Schema | undefined, value: unknown, path = ''): FieldError[] {
  if (!schema) return [];
  const errors: FieldError[] = [];
  const shown = path === '' ? '<root>' : path;
  if (value === null) {
    if (schema.nullable === true || schema.type === undefined) return errors;
    errors.push({
      field: shown,
      type: 'FieldValueTypeInvalid',
      detail: `Invalid value: "null": ${shown} in body must be of type ${text(schema.type)}: "null"`,
    });
    return errors;
  }
  const type = schema.type;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeOf(value) !== 'integer' && typeof value !== 'string') {
      errors.push({
        field: shown,
        type: 'FieldValueTypeInvalid',
        detail: `Invalid value: ${quoteValue(value)}: ${shown} in body must be of type integer,string: ${JSON.stringify(typeOf(value))}`,
      });
    }
  } else if (typeof type === 'string' && !typeMatches(type, value)) {
    errors.push({
      field: shown,
      type: 'FieldValueTypeInvalid',
      detail: `Invalid value: ${JSON.stringify(typeOf(value))}: ${shown} in body must be of type ${type}: ${JSON.stringify(typeOf(value))}`,
    });
    return errors;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some(e => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({
      field: shown,
      type: 'FieldValueNotSupported',
      detail: `Unsupported value: ${quoteValue(value)}: supported values: ${schema.enum.map(e => quoteValue(e)).join(', ')}`,
    });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number') {
      const bad = schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum;
      if (bad)
        errors.push({
          field: shown,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${value}: ${shown} in body should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum}`,
        });
    }
    if (typeof schema.maximum === 'number') {
      const bad = schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum;
      if (bad)
        errors.push({
          field: shown,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${value}: ${shown} in body should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum}`,
        });
    }
    if (typeof schema.multipleOf === 'number' && value % schema.multipleOf !== 0) {
      errors.push({
        field: shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${value}: ${shown} in body should be a multiple of ${schema.multipleOf}`,
      });
    }
  }
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
      errors.push({
        field: shown,
        type: 'FieldValueTooLong',
        detail: `Too long: may not be more than ${schema.maxLength} bytes`,
      });
    }
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
      errors.push({
        field: shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(value)}: ${shown} in body should be at least ${schema.minLength} chars long`,
      });
    }
    if (typeof schema.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(value)) {
        errors.push({
          field: shown,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(value)}: ${shown} in body should match '${schema.pattern}'`,
        });
      }
    }
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) {
      errors.push({
        field: shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(value)}: ${shown} in body must be of type date-time: ${quoteValue(value)}`,
      });
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      errors.push({
        field: shown,
        type: 'FieldValueTooMany',
        detail: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
      });
    }
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      errors.push({
        field: shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${value.length}: ${shown} in body should have at least ${schema.minItems} items`,
      });
    }
    if (schema.uniqueItems === true) {
      const seen = new Set(value.map(v => JSON.stringify(v)));
      if (seen.size !== value.length)
        errors.push({
          field: shown,
          type: 'FieldValueDuplicate',
          detail: `Duplicate value: ${shown} in body shouldn't contain duplicates`,
        });
    }
    if (isMap(schema.items))
      value.forEach((item, i) =>
        errors.push(...validateSchema(schema.items as Schema, item, `${path}[${i}]`)),
      );
  }
  if (isMap(value)) {
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
    if (isMap(schema.additionalProperties)) {
      for (const [k, v] of Object.entries(value))
        if (!p || !p[k]) errors.push(...validateSchema(schema.additionalProperties, v, join(path, k)));
    }
    if (typeof schema.maxProperties === 'number' && Object.keys(value).length > schema.maxProperties) {
      errors.push({
        field: shown,
        type: 'FieldValueTooMany',
        detail: `Too many: ${Object.keys(value).length}: must have at most ${schema.maxProperties} items`,
      });
    }
    if (typeof schema.minProperties === 'number' && Object.keys(value).length < schema.minProperties) {
      errors.push({
        field: shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${Object.keys(value).length}: ${shown} in body should have at least ${schema.minProperties} properties`,
      });
    }
  }
  for (const sub of Array.isArray(schema.allOf) ? (schema.allOf as Schema[]) : [])
    errors.push(...validateSchema(sub, value, path));
  if (
    Array.isArray(schema.anyOf) &&
    !(schema.anyOf as Schema[]).some(s => validateSchema(s, value, path).length === 0)
  ) {
    errors.push({
      field: shown,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(value)}: ${shown} in body must match at least one schema in anyOf`,
    });
  }
  if (
    Array.isArray(schema.oneOf) &&
    (schema.oneOf as Schema[]).filter(s => validateSchema(s, value, path).length === 0).length !== 1
  ) {
    errors.push({
      field: shown,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(value)}: ${shown} in body must validate one and only one schema (oneOf)`,
    });
  }
  if (isMap(schema.not) && validateSchema(schema.not, value, path).length === 0) {
    errors.push({
      field: shown,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(value)}: ${shown} in body should not match the "not" schema`,
    });
  }
  return errors;
}

const IMMUTABLE_RULE = /^\s*(self\s*==\s*oldSelf|oldSelf\s*==\s*self)\s*$/;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isMap(value)) {
    return `{${Object.keys(value)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Transition rules of `x-kubernetes-validations` on an update. Only the immutability rule
 * `self == oldSelf` is evaluated (it is what CRDs use to freeze a spec); other CEL rules are
 * not evaluated by the emulator.
 */
export function validateTransitionRules(
  schema: Schema | undefined,
  value: unknown,
  old: unknown,
  path = '',
): FieldError[] {
  if (!schema || value === undefined || old === undefined) return [];
  const errors: FieldError[] = [];
  const shown = path === '' ? '<root>' : path;
  const rules = Array.isArray(schema['x-kubernetes-validations'])
    ? (schema['x-kubernetes-validations'] as unknown[])
    : [];
  for (const r of rules) {
    if (!isMap(r) || typeof r.rule !== 'string' || !IMMUTABLE_RULE.test(r.rule)) continue;
    if (canonical(value) !== canonical(old)) {
      const kind = Array.isArray(value)
        ? 'array'
        : value === null
          ? 'null'
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? 'integer'
              : 'number'
            : typeof value;
      const message =
        typeof r.message === 'string' && r.message !== '' ? r.message : `failed rule: ${r.rule}`;
      errors.push({
        field: typeof r.fieldPath === 'string' && r.fieldPath !== '' ? `${path}${r.fieldPath}` : shown,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${JSON.stringify(kind)}: ${message}`,
      });
    }
  }
  const p = props(schema);
  if (p && isMap(value) && isMap(old)) {
    for (const [k, sub] of Object.entries(p))
      errors.push(...validateTransitionRules(sub, value[k], old[k], join(path, k)));
  }
  return errors;
}
