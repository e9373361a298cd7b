// SPDX-License-Identifier: Apache-2.0
/**
 * The structural-schema handling the apiserver applies to custom resources: defaulting, pruning
 * of unknown fields and finding them (fieldValidation=Strict), here; validation through the one
 * schema path shared with the engine (`@chaosplane/cel`). ajv does not default or prune with the
 * API server's semantics (its `useDefaults` fills defaults of absent fields but does not drop a
 * `null` first, and its `removeAdditional` knows neither `x-kubernetes-preserve-unknown-fields`
 * nor the type meta of embedded resources), so those stay walks of their own.
 */
import { validateSchema as checkSchema } from '@chaosplane/cel';
import { type FieldError } from '../errors.js';
import { schemaFieldErrors } from '../schemaFieldError.js';
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

/**
 * Validates a value against a schema with the API server's semantics and words, through the one
 * schema path (`@chaosplane/cel`: ajv, compiled once per schema object). A field
 * `additionalProperties: false` refuses is not reported: pruning has already dropped it (or
 * `fieldValidation=Strict` refused it), as in the API server, where a structural schema cannot
 * say `additionalProperties: false` at all.
 */
export function validateSchema(schema: Schema | undefined, value: unknown, path = ''): FieldError[] {
  return schemaFieldErrors(checkSchema(schema, value, path));
}
