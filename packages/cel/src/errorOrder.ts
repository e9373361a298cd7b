// SPDX-License-Identifier: Apache-2.0
// The order in which schema errors are reported. ajv reports by its own keyword order; the
// emulator's answers (and the tests of its 422s) have had one order since before ajv, by
// schema node, depth first: type; enum; the value's own bounds (numbers: minimum, maximum,
// multipleOf; strings: maxLength, minLength, pattern, format; arrays: maxItems, minItems,
// uniqueItems, then each item; objects: required, each property in the schema's order, each
// additional property in the value's order, maxProperties, minProperties); then allOf, anyOf,
// oneOf, not. A stable sort by that key keeps ajv's order among equals.
import type { ErrorObject } from 'ajv';
import { INT_OR_STRING } from './schemaViolation.js';

type Schema = Record<string, unknown>;

/** Where a keyword's own error sits among a node's. */
const RANK: Record<string, number> = {
  type: 0,
  [INT_OR_STRING]: 0,
  enum: 1,
  minimum: 2,
  exclusiveMinimum: 2,
  maxLength: 2,
  maxItems: 2,
  required: 2,
  maximum: 3,
  exclusiveMaximum: 3,
  minLength: 3,
  minItems: 3,
  multipleOf: 4,
  pattern: 4,
  uniqueItems: 4,
  additionalProperties: 4,
  format: 5,
  maxProperties: 5,
  minProperties: 6,
  anyOf: 8,
  oneOf: 9,
  not: 10,
};

/** Ranks of a node's children: items, properties, additional properties, allOf branches. */
const CHILD_RANK = { items: 5, properties: 3, patternProperties: 4, additionalProperties: 4, allOf: 7 };

function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Schema) : {};
}

/** A JSON pointer segment's text (a schema path's is also URI-escaped). */
function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function keysOf(value: unknown): string[] {
  return Object.keys(asSchema(value));
}

/** A walk down the schema and the value together, one schema step at a time. */
interface Walk {
  steps: string[];
  instance: string[];
  node: Schema;
  data: unknown;
  key: number[];
}

/** Steps into a child of a map: a property, a pattern property or an additional property. */
function stepIntoMap(walk: Walk, step: 'properties' | 'patternProperties' | 'additionalProperties'): void {
  const name = walk.instance.shift()!;
  if (step === 'additionalProperties') {
    walk.key.push(CHILD_RANK[step], keysOf(walk.data).indexOf(name));
    walk.node = asSchema(walk.node['additionalProperties']);
  } else {
    const schemaKey = walk.steps.shift()!;
    const order = step === 'properties' ? keysOf(walk.node['properties']) : keysOf(walk.data);
    walk.key.push(CHILD_RANK[step], order.indexOf(name));
    walk.node = asSchema(asSchema(walk.node[step])[schemaKey]);
  }
  walk.data = asSchema(walk.data)[name];
}

/** Takes one step; false when the step is the error's keyword (or a branch it stops at). */
function stepDown(walk: Walk): boolean {
  const step = walk.steps.shift()!;
  if (step === 'properties' || step === 'patternProperties' || step === 'additionalProperties') {
    stepIntoMap(walk, step);
  } else if (step === 'items') {
    const index = Number(walk.instance.shift());
    walk.key.push(CHILD_RANK.items, index);
    walk.node = asSchema(walk.node['items']);
    walk.data = Array.isArray(walk.data) ? walk.data[index] : undefined;
  } else if (step === 'allOf') {
    const index = Number(walk.steps.shift());
    walk.key.push(CHILD_RANK.allOf, index);
    walk.node = asSchema((walk.node['allOf'] as unknown[] | undefined)?.[index]);
  } else return false;
  return true;
}

/** The sort key of one error: a rank and an index for each schema step from the root. */
function keyOf(root: Schema, value: unknown, error: ErrorObject): number[] {
  const walk: Walk = {
    steps: error.schemaPath
      .split('/')
      .slice(1, -1)
      .map(s => unescape(decodeURIComponent(s))),
    instance: error.instancePath.split('/').slice(1).map(unescape),
    node: root,
    data: value,
    key: [],
  };
  while (walk.steps.length > 0 && stepDown(walk));
  walk.key.push(RANK[error.keyword] ?? 11);
  if (error.keyword === 'required') {
    const required = Array.isArray(walk.node['required']) ? (walk.node['required'] as unknown[]) : [];
    walk.key.push(required.indexOf(error.params['missingProperty']));
  }
  return walk.key;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The errors in the order the API server's answers list them (see above). */
export function orderOfErrors(schema: Schema, value: unknown, errors: ErrorObject[]): ErrorObject[] {
  const keyed = errors.map(error => ({ error, key: keyOf(schema, value, error) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return keyed.map(k => k.error);
}
