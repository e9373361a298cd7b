// SPDX-License-Identifier: Apache-2.0
// Turns an authored TypeBox schema into plain JSON Schema, and marks where Chaosplane's own
// rules apply. The CRD generator and the validator both start from `toPlainSchema`.
import type { TSchema } from '@sinclair/typebox';

/** A JSON Schema node as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

/** Keywords that only Chaosplane's validator understands; never sent to an API server. */
export const CHAOSPLANE_KEYWORDS = [
  'goDuration',
  'podSelectorValue',
  'podPhases',
  'labelRequirement',
  'labelMap',
] as const;

/** A deep copy of `schema` as plain JSON (TypeBox's symbol keys dropped). */
export function toPlainSchema(schema: TSchema | JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

/** Calls `visit` on every sub-schema of `schema`, depth first, parents before children. */
export function walkSchema(schema: JsonSchema, visit: (node: JsonSchema) => void): void {
  visit(schema);
  const properties = schema['properties'];
  if (isSchemaMap(properties)) for (const child of Object.values(properties)) walkSchema(child, visit);
  const patternProperties = schema['patternProperties'];
  if (isSchemaMap(patternProperties))
    for (const child of Object.values(patternProperties)) walkSchema(child, visit);
  for (const keyword of ['items', 'additionalProperties'] as const) {
    const child = schema[keyword];
    if (isSchema(child)) walkSchema(child, visit);
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[keyword];
    if (Array.isArray(list)) for (const child of list) if (isSchema(child)) walkSchema(child, visit);
  }
}

/** True for a schema object (not a boolean schema). */
export function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchemaMap(value: unknown): value is Record<string, JsonSchema> {
  return isSchema(value);
}

/**
 * TypeBox writes `Type.Record(Type.String(), X)` as `patternProperties: {'^(.*)$': X}`;
 * Kubernetes (and plain JSON Schema readers) want `additionalProperties: X`.
 */
export function recordsAsAdditionalProperties(schema: JsonSchema): JsonSchema {
  walkSchema(schema, node => {
    const pattern = node['patternProperties'];
    if (!isSchemaMap(pattern)) return;
    const keys = Object.keys(pattern);
    if (keys.length === 1 && (keys[0] === '^(.*)$' || keys[0] === '^.*$')) {
      node['additionalProperties'] = pattern[keys[0]];
      delete node['patternProperties'];
    }
  });
  return schema;
}
