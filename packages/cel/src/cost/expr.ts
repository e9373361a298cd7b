// SPDX-License-Identifier: Apache-2.0
// The parsed CEL expression tree of @bufbuild/cel (cel.expr.Expr), and the little the cost model
// asks of it. @bufbuild/cel expands macros (all, exists, exists_one, map, filter) into
// comprehensions of the same shape as cel-go's, with `@result` as the accumulator.
import { parse } from '@bufbuild/cel';

export type Expr = NonNullable<ReturnType<typeof parse>['expr']>;
export type CallExpr = Extract<Expr['exprKind'], { case: 'callExpr' }>['value'];
export type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];
export type Constant = Extract<Expr['exprKind'], { case: 'constExpr' }>['value'];

/** cel-go's and @bufbuild/cel's accumulator variables: never a schema path. */
export const isAccumulator = (name: string): boolean => name === '@result' || name === '@__result__';

/** Parses a rule; throws with the parser's message when it does not compile. */
export function parseExpr(source: string): Expr {
  // Generated CRDs repeat the same rules hundreds of times (every embedded selector): parse once.
  let expr = parsed.get(source);
  if (expr === undefined) {
    expr = parse(source).expr;
    if (expr === undefined) throw new Error('empty expression');
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(source, expr);
  }
  return expr;
}

const MAX_CACHED = 4096;
const parsed = new Map<string, Expr>();
