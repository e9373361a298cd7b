// SPDX-License-Identifier: Apache-2.0
// One CEL expression outside a schema, as Kubernetes' admission policies use them
// (ValidatingAdmissionPolicy `validations`, `matchConditions`, `variables`): compiled once with the
// same environment as the validation rules, evaluated with named variables bound to JSON values.
import { compile } from './celProgram.js';

/** A compiled expression: evaluates with the given variables; throws with the evaluation error. */
export type CelExpression = (variables: Readonly<Record<string, unknown>>) => unknown;

/**
 * Compiles `expression` (cached by its text); throws an Error with the parser's message when it
 * does not compile. The result of an evaluation is a CEL value: `true`/`false`, a string, a
 * bigint for an int, or a CEL list or map, which can be bound as a variable of another
 * expression unchanged.
 */
export function compileExpression(expression: string): CelExpression {
  const program = compile(expression);
  return variables => program(variables);
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON value as Kubernetes hands an object to CEL without a schema (unstructured): integral
 * numbers are CEL ints (bigint), as Go's JSON decoding makes them int64; other numbers doubles.
 */
export function jsonToCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(jsonToCel);
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonToCel(v)]));
  return value;
}
