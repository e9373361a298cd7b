// SPDX-License-Identifier: Apache-2.0
// The API server's cost check of a CRD version's schema (apiextensions' validation.go and
// cel_validation.go): every rule's estimated cost times the most times its node can occur (the
// product of maxItems/maxProperties above it; where one is missing, what fits in a request), each
// messageExpression's cost once, each against the per-expression limit, and their sum against
// the per-CRD limit, with the API server's field paths and sentences.
import { type DeclType, declTypeOf, maxCardinality } from './declType.js';
import { estimateExpression } from './estimator.js';
import { parseExpr } from './expr.js';
import { STATIC_ESTIMATED_COST_LIMIT, STATIC_ESTIMATED_CRD_COST_LIMIT, costErrorMessage } from './limits.js';
import { MAX_UINT64 } from './range.js';

type Schema = Record<string, unknown>;
const isMap = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The estimate of one expression of a schema. */
export interface ExpressionCost {
  /** `properties[spec].x-kubernetes-validations[0].rule`, relative to the schema's root. */
  field: string;
  expression: string;
  /** The expression's own estimated cost (cel-go's maximum). */
  maxCost: number;
  /** How many times it can run: the node's cardinality for a rule, 1 for a messageExpression. */
  cardinality: number;
  /** maxCost × cardinality, saturating: what the limits are checked against. */
  cost: number;
  /** Functions the estimator does not model, counted as costing the most. */
  unmodelled: string[];
}

/** A schema's expressions, their total, and the API server's refusals (empty when within budget). */
export interface SchemaCost {
  expressions: ExpressionCost[];
  total: number;
  errors: { field: string; detail: string }[];
}

const times = (a: number, b: number): number => (a === 0 ? 0 : a > MAX_UINT64 / b ? MAX_UINT64 : a * b);

/** The factor a node multiplies its children's cardinality by; undefined when unbounded. */
function childFactor(s: Schema, kind: 'items' | 'additionalProperties' | 'properties'): number | undefined {
  if (kind === 'properties') return 1;
  const bound = kind === 'items' ? s['maxItems'] : s['maxProperties'];
  return typeof bound === 'number' ? Math.max(0, Math.floor(bound)) : undefined;
}

interface Walk {
  expressions: ExpressionCost[];
}

function estimate(source: string, decl: DeclType): { maxCost: number; unmodelled: string[] } | undefined {
  let expr;
  try {
    expr = parseExpr(source);
  } catch {
    return undefined; // not compiling is compileErrors' finding, not a cost
  }
  const { cost, unmodelled } = estimateExpression(expr, decl);
  return { maxCost: cost.max, unmodelled };
}

function nodeRules(
  s: Schema,
  path: string,
  cardinality: number | undefined,
  isRoot: boolean,
  walk: Walk,
): void {
  const rules = Array.isArray(s['x-kubernetes-validations'])
    ? (s['x-kubernetes-validations'] as unknown[])
    : [];
  if (rules.length === 0) return;
  const decl = declTypeOf(s, isRoot || s['x-kubernetes-embedded-resource'] === true);
  if (decl === undefined) return;
  const times_ = cardinality ?? maxCardinality(decl.minSerializedSize);
  rules.forEach((rule, i) => {
    if (!isMap(rule)) return;
    const at = `${path}x-kubernetes-validations[${i}]`;
    // A rule runs once per value the node can hold; its message once per request.
    pushExpression(walk, `${at}.rule`, rule['rule'], decl, times_);
    pushExpression(walk, `${at}.messageExpression`, rule['messageExpression'], decl, 1);
  });
}

/** Adds one expression's estimate, run `cardinality` times, when it is a non-blank string. */
function pushExpression(
  walk: Walk,
  field: string,
  source: unknown,
  decl: DeclType,
  cardinality: number,
): void {
  if (typeof source !== 'string' || source.trim() === '') return;
  const e = estimate(source, decl);
  if (e)
    walk.expressions.push({
      field,
      expression: source,
      ...e,
      cardinality,
      cost: times(e.maxCost, cardinality),
    });
}

function walkNode(
  s: Schema,
  path: string,
  cardinality: number | undefined,
  isRoot: boolean,
  walk: Walk,
): void {
  nodeRules(s, path, cardinality, isRoot, walk);
  const child = (c: unknown, at: string, kind: 'items' | 'additionalProperties' | 'properties') => {
    if (!isMap(c)) return;
    const factor = childFactor(s, kind);
    const next = cardinality === undefined || factor === undefined ? undefined : times(cardinality, factor);
    walkNode(c, at, next, false, walk);
  };
  if (isMap(s['properties']))
    for (const [name, prop] of Object.entries(s['properties']))
      child(prop, `${path}properties[${name}].`, 'properties');
  child(s['items'], `${path}items.`, 'items');
  child(s['additionalProperties'], `${path}additionalProperties.`, 'additionalProperties');
}

/** The API server's refusals for a schema's expressions and total, fields relative to the root. */
function refusals(expressions: ExpressionCost[], total: number): SchemaCost['errors'] {
  const errors: SchemaCost['errors'] = [];
  for (const e of expressions) {
    if (e.cost <= STATIC_ESTIMATED_COST_LIMIT) continue;
    const name = e.field.endsWith('.rule') ? 'estimated rule cost' : 'estimated messageExpression cost';
    errors.push({
      field: e.field,
      detail: `Forbidden: ${costErrorMessage(name, e.cost, STATIC_ESTIMATED_COST_LIMIT)}${unmodelledNote(e)}`,
    });
  }
  if (total > STATIC_ESTIMATED_CRD_COST_LIMIT) {
    // The (at most four) costliest expressions of at least 1% of the limit are named first.
    const named = expressions
      .filter(e => e.cost >= STATIC_ESTIMATED_CRD_COST_LIMIT / 100)
      .sort((a, b) => b.cost - a.cost)
      .slice(0, 4);
    for (const e of named)
      errors.push({
        field: e.field,
        detail:
          'Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
      });
    const sentence = costErrorMessage(
      'x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema',
      total,
      STATIC_ESTIMATED_CRD_COST_LIMIT,
    );
    errors.push({ field: '', detail: `Forbidden: ${sentence}` });
  }
  return errors;
}

/** Said after Kubernetes' sentence when the estimate is ours and not the API server's. */
function unmodelledNote(e: ExpressionCost): string {
  return e.unmodelled.length === 0
    ? ''
    : ` (kube-emulator does not model the cost of ${e.unmodelled.join(', ')} and assumes the worst)`;
}

/**
 * The estimated costs of every rule and messageExpression of a CRD version's `openAPIV3Schema`
 * (the root of a custom resource), and the API server's refusals when one exceeds 10,000,000 or
 * all together exceed 100,000,000. An `errors` field of `''` is the schema's root.
 */
export function schemaCost(schema: Schema): SchemaCost {
  const walk: Walk = { expressions: [] };
  walkNode(schema, '', 1, true, walk);
  let total = 0;
  for (const e of walk.expressions) total = Math.min(MAX_UINT64, total + e.cost);
  return { expressions: walk.expressions, total, errors: refusals(walk.expressions, total) };
}
