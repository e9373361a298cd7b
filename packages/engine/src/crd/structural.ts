// SPDX-License-Identifier: Apache-2.0
// The structural-schema rules of apiextensions.k8s.io/v1 (Kubernetes' "Specifying a
// structural schema"), checked before a CRD ever reaches an API server.
import type { Violation } from '@chaosplane/sdk';
import { isSchema, type JsonSchema } from '../api/jsonSchema.js';

const FORBIDDEN_KEYWORDS = [
  '$ref',
  '$schema',
  'definitions',
  'dependencies',
  'patternProperties',
  'const',
  'additionalItems',
  'id',
];
const ALLOWED_KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/**
 * Every way `schema` breaks the structural rules: a node without a type, properties beside
 * additionalProperties, keywords Kubernetes refuses, a type inside a logical junctor, or a
 * metadata schema that restricts more than name and generateName.
 */
export function structuralViolations(schema: JsonSchema, path = 'openAPIV3Schema'): Violation[] {
  const out: Violation[] = [];
  check(schema, path, false, out);
  const metadata = (schema['properties'] as Record<string, JsonSchema> | undefined)?.['metadata'];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).filter(k => k !== 'type');
    if (keys.length > 0)
      out.push({ field: `${path}.properties.metadata`, message: 'metadata may only specify type: object' });
  }
  return out;
}

/** Walks `node` and everything below it, adding each structural violation to `out` in order. */
function check(node: JsonSchema, path: string, inJunctor: boolean, out: Violation[]): void {
  checkKeywords(node, path, out);
  if (inJunctor) checkJunctorMember(node, path, out);
  else checkTyped(node, path, out);
  checkAdditionalProperties(node, path, out);
  checkChildren(node, path, inJunctor, out);
  if (node['type'] === 'array' && !isSchema(node['items'])) {
    out.push({ field: `${path}.items`, message: 'Required value: must be specified for arrays' });
  }
}

/** Reports the keywords of `node` that Kubernetes forbids or does not know. */
function checkKeywords(node: JsonSchema, path: string, out: Violation[]): void {
  for (const key of Object.keys(node)) {
    if (FORBIDDEN_KEYWORDS.includes(key))
      out.push({ field: `${path}.${key}`, message: 'Forbidden: not allowed in a structural schema' });
    else if (!ALLOWED_KEYWORDS.has(key))
      out.push({ field: `${path}.${key}`, message: 'Forbidden: unknown keyword' });
  }
}

/** Reports the keywords a schema inside allOf, anyOf, oneOf or not must leave to its parent. */
function checkJunctorMember(node: JsonSchema, path: string, out: Violation[]): void {
  for (const key of ['type', 'default', 'description', 'additionalProperties', 'nullable']) {
    if (key in node)
      out.push({
        field: `${path}.${key}`,
        message: 'Forbidden: must not be set inside allOf, anyOf, oneOf or not',
      });
  }
}

/** Reports a node outside a junctor that has no type and does not preserve unknown fields. */
function checkTyped(node: JsonSchema, path: string, out: Violation[]): void {
  const preserves =
    node['x-kubernetes-preserve-unknown-fields'] === true || node['x-kubernetes-int-or-string'] === true;
  if (typeof node['type'] !== 'string' && !preserves) {
    out.push({
      field: `${path}.type`,
      message: 'Required value: must not be empty for specified object fields',
    });
  }
}

/** Reports additionalProperties beside properties, and additionalProperties: false. */
function checkAdditionalProperties(node: JsonSchema, path: string, out: Violation[]): void {
  if (
    node['properties'] !== undefined &&
    node['additionalProperties'] !== undefined &&
    node['additionalProperties'] !== false
  ) {
    out.push({
      field: `${path}.additionalProperties`,
      message: 'Forbidden: additionalProperties and properties are mutually exclusive',
    });
  }
  if (node['additionalProperties'] === false) {
    out.push({
      field: `${path}.additionalProperties`,
      message: 'Forbidden: additionalProperties: false is not allowed',
    });
  }
}

/**
 * Checks the schemas below `node`: its properties, items and additionalProperties in the
 * junctor state of `node`, and the members of allOf, anyOf and oneOf as inside a junctor.
 */
function checkChildren(node: JsonSchema, path: string, inJunctor: boolean, out: Violation[]): void {
  const properties = node['properties'];
  if (isSchema(properties)) {
    for (const [name, child] of Object.entries(properties))
      if (isSchema(child)) check(child, `${path}.properties.${name}`, inJunctor, out);
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const child = node[key];
    if (isSchema(child)) check(child, `${path}.${key}`, inJunctor, out);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key];
    if (Array.isArray(list))
      list.forEach((child, i) => isSchema(child) && check(child, `${path}.${key}[${i}]`, true, out));
  }
}
