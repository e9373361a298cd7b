// SPDX-License-Identifier: Apache-2.0
// An OpenAPI v3 schema (a CRD version's `openAPIV3Schema`, a chaos kind's spec schema) compiled
// once by ajv, validating with the API server's semantics: OpenAPI's boolean
// `exclusiveMinimum`/`exclusiveMaximum`, `nullable`, `x-kubernetes-int-or-string`, lengths in
// code points, the `date-time` format, and the errors the API server reports (a `null` or a
// value of the wrong type is one type error; a failed `anyOf`, `oneOf` or `not` is one error,
// not one per branch).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  INT_OR_STRING,
  type SchemaViolation,
  describeSchemaError,
  pointerSegments,
} from './schemaViolation.js';
import { orderOfErrors } from './errorOrder.js';

/** A JSON schema node as plain data. */
type Schema = Record<string, unknown>;

/** Validates a value; returns every violation, in the order the API server reports them. */
export type SchemaValidator = (value: unknown, root?: string) => SchemaViolation[];

/**
 * A pattern JavaScript cannot compile matches everything (as the hand-written walker had it);
 * patterns are ECMAScript with the `u` flag, where the API server's are Go's RE2.
 */
function lenientRegExp(pattern: string, flags: string): { test: (s: string) => boolean } {
  try {
    return new RegExp(pattern, flags);
  } catch {
    return { test: () => true };
  }
}
lenientRegExp.code = 'lenientRegExp';

/**
 * An ajv instance for one schema. ajv keeps what it compiled (schemas, and in its code scope the
 * values the generated code refers to) for the life of the instance, so one shared instance
 * would keep every CRD schema ever written; an instance per schema lives as long as its
 * validator. Without meta-schemas (schemas are not validated here), one costs little.
 */
function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    meta: false,
    validateSchema: false,
    logger: false,
    unicodeRegExp: true,
    // ajv's optimizing passes over the generated code took 27 of 19 + 8 ms to compile the
    // StressChaos CRD's schema here, for nothing measurable at validation.
    code: { regExp: lenientRegExp, optimize: false },
    // `date-time` as kube-emulator always checked it: whatever Date.parse reads, which is more
    // lenient than the API server's RFC 3339 parsing. Other formats are not checked.
    formats: { 'date-time': (text: string) => !Number.isNaN(Date.parse(text)) },
  });
  ajv.addKeyword({
    keyword: INT_OR_STRING,
    schemaType: 'boolean',
    validate: (on: boolean, value: unknown) =>
      !on || value === null || typeof value === 'string' || Number.isInteger(value),
  });
  return ajv;
}

/** A copy of a schema node in ajv's dialect: JSON Schema draft 7 with OpenAPI's `nullable`. */
function toAjvNode(node: Schema): Schema {
  const out: Schema = { ...node };
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] === true && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
  // Without a type, `null` is valid anyway; ajv refuses `nullable` there.
  if (out['type'] === undefined) delete out['nullable'];
  return out;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every sub-schema rewritten by `toAjvNode`, depth first. */
function toAjvSchema(node: Schema): Schema {
  const out = toAjvNode(node);
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs'] as const) {
    const map = out[key];
    if (isSchema(map))
      out[key] = Object.fromEntries(
        Object.entries(map).map(([k, v]) => [k, isSchema(v) ? toAjvSchema(v) : v]),
      );
  }
  for (const key of ['items', 'additionalProperties', 'additionalItems', 'not'] as const) {
    const child = out[key];
    if (isSchema(child)) out[key] = toAjvSchema(child);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = (list as unknown[]).map(v => (isSchema(v) ? toAjvSchema(v) : v));
  }
  return out;
}

/** The schema path of the node an error's keyword sits on: `#/properties/a` for `#/properties/a/type`. */
function nodeOf(schemaPath: string): string {
  return schemaPath.slice(0, schemaPath.lastIndexOf('/'));
}

/** Whether a schema path runs through a branch of `anyOf`, `oneOf` or `not` (one error for those). */
function insideBranch(schemaPath: string): boolean {
  const segments = schemaPath.split('/').slice(1);
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    if (segment === 'properties' || segment === 'patternProperties') i++;
    else if (segment === 'anyOf' || segment === 'oneOf' || segment === 'not') return true;
  }
  return false;
}

/**
 * The errors the API server reports of all ajv found: none from inside a branch of a
 * combinator; for a `null`, or a value of the wrong type, the type error alone (nothing else of
 * that schema node applies to it).
 */
function reportable(errors: readonly ErrorObject[]): ErrorObject[] {
  const kept = errors.filter(e => !insideBranch(e.schemaPath));
  const typeErrorNodes = new Set(
    kept.filter(e => e.keyword === 'type').map(e => `${e.instancePath}\u0000${nodeOf(e.schemaPath)}`),
  );
  return kept.filter(e => {
    if (e.keyword === 'type') return true;
    if (e.data === null && e.keyword !== 'required') return false;
    const node = nodeOf(e.schemaPath);
    return ![...typeErrorNodes].some(key => {
      const [at, typed] = key.split('\u0000') as [string, string];
      return e.instancePath === at && (node === typed || node.startsWith(`${typed}/`));
    });
  });
}

/** The value at a JSON pointer (ajv's `instancePath`) below `root`. */
function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (const segment of pointerSegments(pointer)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Validators by schema text, the least recently used dropped first. The same schema comes back
 * as a new object whenever its owner is built again: an engine started anew (a Workflow's schema,
 * which embeds every chaos kind's spec, took about 0.8 s to compile), a CRD applied again with
 * the same schema. Bounded, so a process that sees many schemas keeps only the recent ones.
 */
const compiledByText = new Map<string, ValidateFunction>();
const COMPILED_BY_TEXT_LIMIT = 64;

function compiledFor(schema: Schema): ValidateFunction {
  let check = compiled.get(schema);
  if (check !== undefined) return check;
  const text = JSON.stringify(schema);
  check = compiledByText.get(text);
  if (check !== undefined) compiledByText.delete(text);
  else check = newAjv().compile(toAjvSchema(schema));
  compiledByText.set(text, check);
  if (compiledByText.size > COMPILED_BY_TEXT_LIMIT)
    compiledByText.delete(compiledByText.keys().next().value!);
  compiled.set(schema, check);
  return check;
}

/**
 * The validator of an OpenAPI v3 schema, compiled on first use and cached by the schema
 * object (a schema changed in place is not seen) and by its text (a new object with the same
 * schema, a CRD written again unchanged, reuses the compiled code; a changed one is compiled). `root` names the validated value in the errors (`spec`; `''`, the default,
 * for a whole object, whose own errors then say `<root>`).
 */
export function compileSchema(schema: Schema): SchemaValidator {
  const check = compiledFor(schema);
  return (value, root = '') => {
    if (check(value)) return [];
    // ajv's `verbose` would put each value on its error, but made compiling the StressChaos
    // CRD's schema about three times slower here; the values are looked up instead.
    const found = (check.errors ?? []).map(e => ({ ...e, data: valueAt(value, e.instancePath) }));
    const errors = orderOfErrors(schema, value, reportable(found));
    return errors.map(error => describeSchemaError(error, error.data, root));
  };
}

/** Validates one value against a schema (compiled once per schema object); every violation. */
export function validateSchema(schema: Schema | undefined, value: unknown, root = ''): SchemaViolation[] {
  return schema === undefined ? [] : compileSchema(schema)(value, root);
}
