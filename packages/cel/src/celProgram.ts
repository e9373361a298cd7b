// SPDX-License-Identifier: Apache-2.0
// One compiled CEL expression, cached by its text: parsed and planned once with @bufbuild/cel
// (a CEL-spec conformant evaluator whose `matches()` is RE2, as Kubernetes' cel-go), in an
// environment with Kubernetes' string extensions.
import { celEnv, isCelError, plan, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { parseExpr } from './cost/expr.js';

/** Variables a validation rule sees: `self`, and `oldSelf` for a transition rule. */
export interface RuleBindings {
  self: unknown;
  oldSelf?: unknown;
}

/**
 * A compiled expression: evaluates to a CEL value with the given variables (a rule's `self` and
 * `oldSelf`, or an admission policy's `object`, `request`…), or throws with the evaluation error.
 */
export type CelProgram = (bindings: RuleBindings | Readonly<Record<string, unknown>>) => CelValue;

const env = celEnv({ funcs: strings });
const cache = new Map<string, CelProgram>();

/** Parses and plans `expression` (cached); throws with the parser's message when it does not compile. */
export function compile(expression: string): CelProgram {
  let program = cache.get(expression);
  if (program === undefined) {
    // One parse per expression text, shared with the cost estimator (cost/expr.ts).
    const evaluate = plan(env, parseExpr(expression));
    program = bindings => {
      const result = evaluate(bindings as never);
      if (isCelError(result)) throw new Error(result.message);
      return result;
    };
    cache.set(expression, program);
  }
  return program;
}

/** True when the expression reads `oldSelf`: a transition rule, evaluated on updates only. */
export function isTransitionRule(expression: string): boolean {
  return /\boldSelf\b/.test(expression);
}
