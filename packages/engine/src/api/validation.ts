// SPDX-License-Identifier: Apache-2.0
// Runtime validation of chaos objects: the JSON Schema of the spec (types, enums, unknown
// fields) through the one schema path shared with kube-emulator (@chaosplane/cel), then
// Chaosplane's semantic keywords and the kind's own rules. Every violation is returned, each with
// its field path; the schema's are worded by @chaosplane/cel, the semantic keywords' and the
// rules' here and in the plugins, in Chaos Mesh's words where its webhooks have them.
import { compileSchema, validateRules, type SchemaValidator } from '@chaosplane/cel';
import { ChaosplaneError, type ChaosKind, type ChaosObject, type Violation } from '@chaosplane/sdk';
import { parseDurationNanos, POD_PHASES, selectorValueViolations } from '@chaosplane/sdk/framework';
import {
  CHAOSPLANE_KEYWORDS,
  isSchema,
  recordsAsAdditionalProperties,
  toPlainSchema,
  walkSchema,
  type JsonSchema,
} from './jsonSchema.js';
import { crdSpecSchema } from '../crd/generateCrd.js';

/** Checks one spec against its schema and semantic keywords; returns every violation. */
export type SpecValidator = (spec: unknown, path?: string) => Violation[];

/** Builds the validator of a spec schema. Unknown fields are violations (Kubernetes' strict mode). */
export function createSpecValidator(specSchema: JsonSchema | object): SpecValidator {
  const authored = recordsAsAdditionalProperties(toPlainSchema(specSchema as JsonSchema));
  const strict = toPlainSchema(authored);
  walkSchema(strict, node => {
    if (isSchema(node['properties']) && node['additionalProperties'] === undefined)
      node['additionalProperties'] = false;
    for (const keyword of CHAOSPLANE_KEYWORDS) delete node[keyword];
  });
  const check = compileSchema(strict);
  return (spec, path = 'spec') => {
    const violations = schemaViolations(check, spec, path);
    semanticViolations(authored, spec, path, violations);
    return dedupe(violations);
  };
}

/**
 * The schema's violations through the one schema path (@chaosplane/cel), which words them: the
 * condition alone as the message (`Required value`, `must be of type string, got integer`), the
 * field in the engine's form (a key that is no identifier quoted: `labels["app.kubernetes.io/name"]`).
 */
function schemaViolations(check: SchemaValidator, spec: unknown, root: string): Violation[] {
  return check(spec, root).map(v => ({ field: fieldOf(root, v.path), message: v.message }));
}

/** `spec` + `['selector', 'namespaces', 0]` → `spec.selector.namespaces[0]`. */
function fieldOf(root: string, path: ReadonlyArray<string | number>): string {
  let field = root;
  for (const segment of path)
    field = typeof segment === 'number' ? `${field}[${segment}]` : appendField(field, segment);
  return field;
}

function appendField(path: string, name: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name);
  const segment = plain ? name : `[${JSON.stringify(name)}]`;
  if (path === '') return plain ? name : segment;
  return plain ? `${path}.${name}` : `${path}${segment}`;
}

// Semantic keywords, walked alongside the data: only where the data has the right shape
// (the schema check already reported shape errors).
function semanticViolations(schema: JsonSchema, data: unknown, path: string, out: Violation[]): void {
  out.push(...keywordViolations(schema, data, path));
  const properties = schema['properties'];
  if (isSchema(properties) && isSchema(data)) {
    for (const [name, child] of Object.entries(properties)) {
      if (isSchema(child) && data[name] !== undefined)
        semanticViolations(child, data[name], appendField(path, name), out);
    }
  }
  const additional = schema['additionalProperties'];
  if (isSchema(additional) && isSchema(data)) {
    for (const [name, value] of Object.entries(data))
      semanticViolations(additional, value, appendField(path, name), out);
  }
  const items = schema['items'];
  if (isSchema(items) && Array.isArray(data)) {
    data.forEach((value, i) => semanticViolations(items, value, `${path}[${i}]`, out));
  }
}

/** Violations of the semantic keywords set on one schema node, not its children. */
function keywordViolations(schema: JsonSchema, data: unknown, path: string): Violation[] {
  const out: Violation[] = [];
  if (schema['goDuration'] === true && typeof data === 'string') out.push(...durationViolations(data, path));
  if (schema['podSelectorValue'] === true && isSchema(data)) {
    out.push(...selectorValueViolations(data['mode'], data['value'], appendField(path, 'value')));
  }
  if (schema['podPhases'] === true && Array.isArray(data)) {
    data.forEach((entry, i) => {
      if (typeof entry === 'string') out.push(...podPhaseViolations(entry, `${path}[${i}]`));
    });
  }
  if (schema['labelRequirement'] === true && isSchema(data))
    out.push(...labelRequirementViolations(data, path));
  return out;
}

/**
 * Violations of a Go duration string (`parse duration field error: …`); negative durations are
 * refused. An empty string is allowed, as by Chaos Mesh's webhook: it means no duration.
 */
export function durationViolations(text: string, field: string): Violation[] {
  if (text === '') return [];
  try {
    if (parseDurationNanos(text) < 0n) {
      return [
        {
          field,
          message: `parse duration field error: duration ${JSON.stringify(text)} must not be negative`,
        },
      ];
    }
    return [];
  } catch (error) {
    return [{ field, message: `parse duration field error: ${(error as Error).message}` }];
  }
}

function podPhaseViolations(entry: string, field: string): Violation[] {
  const phase = entry.startsWith('!') ? entry.slice(1) : entry;
  if ((POD_PHASES as readonly string[]).includes(phase)) return [];
  return [
    {
      field,
      message: `Unsupported value: ${JSON.stringify(entry)}: supported values: ${POD_PHASES.map(p => `"${p}"`).join(', ')}, each optionally prefixed with "!"`,
    },
  ];
}

function labelRequirementViolations(requirement: JsonSchema, path: string): Violation[] {
  const operator = requirement['operator'];
  const values = requirement['values'];
  const count = Array.isArray(values) ? values.length : 0;
  if ((operator === 'In' || operator === 'NotIn') && count === 0) {
    return [
      {
        field: appendField(path, 'values'),
        message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      },
    ];
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && count > 0) {
    return [
      {
        field: appendField(path, 'values'),
        message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      },
    ];
  }
  return [];
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter(v => {
    const key = `${v.field}\u0000${v.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const validators = new WeakMap<ChaosKind, SpecValidator>();
const crdSchemas = new WeakMap<ChaosKind, JsonSchema>();

/**
 * The violations of the CEL rules the kind's CRD carries (its keywords' and its own), as the
 * API server reports them, minus fields the engine's own checks already named (their wording is
 * Go's exact one).
 */
function celViolations(kind: ChaosKind, spec: unknown, named: readonly Violation[]): Violation[] {
  let schema = crdSchemas.get(kind);
  if (schema === undefined) {
    schema = crdSpecSchema(kind);
    crdSchemas.set(kind, schema);
  }
  const seen = new Set(named.map(v => v.field));
  return validateRules(schema, spec, { path: 'spec' })
    .filter(v => !seen.has(v.field))
    .map(v => ({ field: v.field, message: v.reason === 'FieldValueInvalid' ? v.message : v.detail }));
}

/**
 * Every violation of a chaos object of `kind`: its spec's schema, semantic keywords, the CEL
 * rules its CRD carries (what a real API server refuses at apply) and the kind's TypeScript rules.
 */
export function validateChaosObject(kind: ChaosKind, obj: Pick<ChaosObject, 'spec'>): Violation[] {
  let validate = validators.get(kind);
  if (validate === undefined) {
    validate = createSpecValidator(kind.spec);
    validators.set(kind, validate);
  }
  if (obj.spec === undefined || obj.spec === null) return [{ field: 'spec', message: 'Required value' }];
  const violations = validate(obj.spec);
  // Rules see only a spec that has the right shape. The TypeScript rules first: where they and
  // the CEL rules agree on a field, theirs is the more exact wording (Go's parse errors).
  if (violations.length > 0) return violations;
  for (const rule of kind.rules) violations.push(...rule(obj.spec, 'spec'));
  violations.push(...celViolations(kind, obj.spec, violations));
  return violations;
}

/** `Cannot update chaos spec` when an update changes the spec (Chaos Mesh's immutability rule). */
export function validateChaosUpdate(
  oldObj: Pick<ChaosObject, 'spec'>,
  newObj: Pick<ChaosObject, 'spec'>,
): Violation[] {
  return canonicalJson(oldObj.spec) === canonicalJson(newObj.spec)
    ? []
    : [{ field: 'spec', message: 'Cannot update chaos spec' }];
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isSchema(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** One line per violation: `spec.value: value must be greater than 0 with mode:fixed`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map(v => `${v.field}: ${v.message}`).join('; ');
}

/** Throws a ChaosplaneError of kind `invalid` naming the first field when there are violations. */
export function assertValid(violations: readonly Violation[]): void {
  const [first] = violations;
  if (first !== undefined) {
    throw new ChaosplaneError('invalid', formatViolations(violations), { field: first.field });
  }
}
