// SPDX-License-Identifier: Apache-2.0
// One expression's estimated cost on one schema node: what the API server computes for a rule
// before multiplying it by the node's cardinality.
import { declTypeOf } from './declType.js';
import { estimateExpression } from './estimator.js';
import { parseExpr } from './expr.js';

/** An expression's estimated cost: cel-go's [min, max], and what the estimator could not model. */
export interface RuleCostEstimate {
  min: number;
  max: number;
  unmodelled: string[];
}

/**
 * Estimates `expression` as a rule of the schema node `schema` (`self` is that node; with
 * `resourceRoot`, a resource's root, which also exposes apiVersion, kind and metadata.name).
 * Throws when the expression does not parse, or the node is of no type rules can see.
 */
export function estimateRuleCost(
  expression: string,
  schema: Record<string, unknown>,
  options: { resourceRoot?: boolean } = {},
): RuleCostEstimate {
  const decl = declTypeOf(schema, options.resourceRoot === true);
  if (decl === undefined) throw new Error('rules cannot be declared on a schema node of no type');
  const { cost, unmodelled } = estimateExpression(parseExpr(expression), decl);
  return { min: cost.min, max: cost.max, unmodelled };
}
