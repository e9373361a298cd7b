// SPDX-License-Identifier: Apache-2.0
// The cost of one function call, in the order Kubernetes' estimator asks: first Kubernetes'
// library (k8s.io/apiserver/pkg/cel/library/cost.go, by function name), then cel-go's own rules
// (checker/cost.go, by overload), else cel-go's default of 1 plus the arguments' costs.
import { type DeclType } from './declType.js';
import { type Expr } from './expr.js';
import { MAX_UINT64, type Range, add, byFactor, fixed, multiply, sum, union } from './range.js';

const STRING_TRAVERSAL = 0.1;
const REGEX_LENGTH = 0.25;

/** What a call's cost may depend on, provided by the walk. */
export interface CallContext {
  /** The size of a costed expression, or any size. */
  size(e: Expr): Range;
  /** The type the walk inferred for a costed expression. */
  type(e: Expr): DeclType;
  /** The size of the elements of a list-typed expression, by its path. */
  elementSize(list: Expr): Range;
}

/** One call: its function, overload, target, arguments and their costs. */
export interface Call {
  fn: string;
  overload: string;
  target: Expr | undefined;
  args: Expr[];
  argCosts: Range[];
}

/** A call's own cost (its arguments included) and, when the function knows it, its result's size. */
export interface CallEstimate {
  cost: Range;
  resultSize?: Range;
}

const ONE = fixed(1);

/** The string-library functions whose cost is one traversal of the target, result as long. */
function traversal(ctx: CallContext, target: Expr, resultSized: boolean): CallEstimate {
  const size = ctx.size(target);
  return resultSized
    ? { cost: byFactor(size, STRING_TRAVERSAL), resultSize: size }
    : { cost: byFactor(size, STRING_TRAVERSAL) };
}

/** replace(): the traversal twice; the result as long as the most replacements can make it. */
function replaceCost(ctx: CallContext, target: Expr, args: Expr[]): CallEstimate {
  const sz = ctx.size(target);
  const from = ctx.size(args[0]!);
  const to = ctx.size(args[1]!);
  const count = { min: 0, max: 0 };
  const retained = { min: 0, max: 0 };
  if (from.min === 0) {
    count.max = sz.max < MAX_UINT64 ? sz.max + 1 : sz.max;
    retained.max = sz.max;
  } else if (to.max <= from.min) retained.max = sz.max;
  else count.max = Math.ceil(sz.max / from.min);
  if (from.max === 0) {
    count.min = sz.min < MAX_UINT64 ? sz.min + 1 : sz.min;
    retained.min = sz.min;
  } else if (from.max <= to.min) retained.min = sz.min;
  else count.min = Math.ceil(sz.min / from.max);
  return { cost: byFactor(sz, 2 * STRING_TRAVERSAL), resultSize: add(multiply(count, to), retained) };
}

function splitCost(ctx: CallContext, target: Expr, args: Expr[]): CallEstimate {
  const sz = ctx.size(target);
  let max = sz.max;
  const limit = args[1]?.exprKind;
  if (limit?.case === 'constExpr' && limit.value.constantKind.case === 'int64Value')
    max = Number(limit.value.constantKind.value);
  return { cost: byFactor(sz, 2 * STRING_TRAVERSAL), resultSize: { min: 0, max } };
}

function joinCost(ctx: CallContext, target: Expr, args: Expr[]): CallEstimate {
  const list = ctx.size(target);
  let sz = multiply(list, ctx.elementSize(target));
  if (args.length > 0)
    sz = add(
      sz,
      multiply(ctx.size(args[0]!), { min: Math.max(0, list.min - 1), max: Math.max(0, list.max - 1) }),
    );
  return { cost: byFactor(sz, STRING_TRAVERSAL), resultSize: sz };
}

/** isSorted, sum, max, min, indexOf, lastIndexOf: one pass over a list (plus its strings), or a string. */
function listPassCost(ctx: CallContext, target: Expr): CallEstimate {
  const t = ctx.type(target);
  if (t.kind !== 'list') return { cost: byFactor(ctx.size(target), STRING_TRAVERSAL) };
  let perElement = ONE;
  if (t.elem?.kind === 'string' || t.elem?.kind === 'bytes')
    perElement = add(perElement, byFactor(ctx.elementSize(target), STRING_TRAVERSAL));
  return { cost: multiply(ctx.size(target), perElement) };
}

function regexCost(ctx: CallContext, text: Expr, pattern: Expr): Range {
  const textCost = byFactor(add(ctx.size(text), ONE), STRING_TRAVERSAL);
  return multiply(textCost, byFactor(ctx.size(pattern), REGEX_LENGTH));
}

const IP_BYTES: Range = { min: 4, max: 16 };

function containsAddressCost(ctx: CallContext, call: Call): CallEstimate {
  let cost = byFactor(add(IP_BYTES, IP_BYTES), STRING_TRAVERSAL);
  if (call.fn === 'containsCIDR') cost = add(add(cost, byFactor(IP_BYTES, STRING_TRAVERSAL)), ONE);
  if (call.overload.endsWith('_string'))
    cost = add(cost, byFactor(ctx.size(call.args[0]!), STRING_TRAVERSAL));
  return { cost };
}

type Handler = (ctx: CallContext, call: Call) => CallEstimate | undefined;

/** Gives the same handler to several function names. */
const each = (names: string[], handler: Handler): [string, Handler][] => names.map(n => [n, handler]);

const stringArgTraversal =
  (factor: number): Handler =>
  (ctx, { target, args }) =>
    target && args.length >= 1 ? { cost: byFactor(ctx.size(args[0]!), factor) } : undefined;

const ipCost: Handler = (ctx, call) => {
  if (call.target && call.args.length >= 1)
    return { cost: call.overload === 'cidr_ip' ? ONE : byFactor(ctx.size(call.args[0]!), STRING_TRAVERSAL) };
  return call.target ? { cost: ONE } : undefined;
};

/**
 * Kubernetes' library estimator, by function name: undefined when it has nothing to say about
 * the call. Parsing an IP, a CIDR or a quantity costs a traversal, their accessors 1.
 */
const KUBERNETES: Map<string, Handler> = new Map([
  ...each(['isSorted', 'sum', 'max', 'min', 'indexOf', 'lastIndexOf'], (ctx, { target }) =>
    target ? listPassCost(ctx, target) : undefined,
  ),
  [
    'url',
    (ctx, { args }) =>
      args.length === 1 ? { cost: byFactor(ctx.size(args[0]!), STRING_TRAVERSAL) } : undefined,
  ],
  ...each(['lowerAscii', 'upperAscii', 'substring', 'trim'], (ctx, { target }) =>
    target ? traversal(ctx, target, true) : undefined,
  ),
  [
    'replace',
    (ctx, { target, args }) => (target && args.length >= 2 ? replaceCost(ctx, target, args) : undefined),
  ],
  ['split', (ctx, { target, args }) => (target ? splitCost(ctx, target, args) : undefined)],
  ['join', (ctx, { target, args }) => (target ? joinCost(ctx, target, args) : undefined)],
  ...each(['find', 'findAll'], (ctx, { target, args }) =>
    target && args.length >= 1
      ? { cost: regexCost(ctx, target, args[0]!), resultSize: { min: 0, max: ctx.size(target).max } }
      : undefined,
  ),
  ...each(['cidr', 'isIP', 'isCIDR', 'quantity', 'isQuantity'], stringArgTraversal(STRING_TRAVERSAL)),
  ['ip', ipCost],
  ['ip.isCanonical', stringArgTraversal(2 * STRING_TRAVERSAL)],
  ...each(['containsIP', 'containsCIDR'], (ctx, call) =>
    call.target && call.args.length >= 1 ? containsAddressCost(ctx, call) : undefined,
  ),
  ...each(
    [
      'masked',
      'prefixLength',
      'family',
      'isUnspecified',
      'isLoopback',
      'isLinkLocalMulticast',
      'isLinkLocalUnicast',
      'sign',
      'asInteger',
      'isInteger',
      'asApproximateFloat',
      'isGreaterThan',
      'isLessThan',
      'compareTo',
      'add',
      'sub',
    ],
    () => ({ cost: ONE }),
  ),
]);

/** Comparison of two values: up to the shorter one traversed. */
function comparisonCost(ctx: CallContext, args: Expr[]): CallEstimate {
  const smallestMax = Math.min(ctx.size(args[0]!).max, ctx.size(args[1]!).max);
  return { cost: byFactor({ min: smallestMax > 0 ? 1 : 0, max: smallestMax }, STRING_TRAVERSAL) };
}

function concatCost(ctx: CallContext, call: Call): CallEstimate {
  const resultSize = add(ctx.size(call.args[0]!), ctx.size(call.args[1]!));
  return call.overload === 'add_list'
    ? { cost: ONE, resultSize }
    : { cost: byFactor(resultSize, STRING_TRAVERSAL), resultSize };
}

/** A conversion or quote: one traversal of the argument, and the result's size from it. */
const convert =
  (resultSize: (sz: Range) => Range): Handler =>
  (ctx, { args }) => {
    const sz = ctx.size(args[0]!);
    return { cost: byFactor(sz, STRING_TRAVERSAL), resultSize: resultSize(sz) };
  };

/** cel-go's estimator for its own overloads; absent for the default (1). */
const CEL: Map<string, Handler> = new Map([
  [
    'ext_format_string',
    (ctx, { target }) => (target ? { cost: byFactor(ctx.size(target), STRING_TRAVERSAL) } : undefined),
  ],
  ['string_to_bytes', convert(sz => ({ min: sz.min, max: Math.min(MAX_UINT64, sz.max * 4) }))],
  ['bytes_to_string', convert(sz => ({ min: Math.floor(sz.min / 4), max: sz.max }))],
  ['ext_quote_string', convert(sz => ({ min: sz.min + 2, max: Math.min(MAX_UINT64, sz.max * 2 + 2) }))],
  ...each(['starts_with_string', 'ends_with_string'], (ctx, { args }) =>
    args.length === 1 ? { cost: byFactor(ctx.size(args[0]!), STRING_TRAVERSAL) } : undefined,
  ),
  ['in_list', (ctx, { args }) => ({ cost: byFactor(ctx.size(args[1]!), 1) })],
  [
    'matches_string',
    (ctx, { target, args }) =>
      target && args.length === 1 ? { cost: regexCost(ctx, target, args[0]!) } : undefined,
  ],
  [
    'contains_string',
    (ctx, { target, args }) =>
      target && args.length === 1
        ? {
            cost: multiply(
              byFactor(ctx.size(target), STRING_TRAVERSAL),
              byFactor(ctx.size(args[0]!), STRING_TRAVERSAL),
            ),
          }
        : undefined,
  ],
  ...each(['add_string', 'add_bytes', 'add_list'], concatCost),
  ...each(['equals', 'not_equals', 'compare_string'], (ctx, { args }) => comparisonCost(ctx, args)),
]);

/** The Kubernetes library functions with a cost rule of their own, by name. */
export const KUBERNETES_COSTED_FUNCTIONS: ReadonlySet<string> = new Set(KUBERNETES.keys());

/** The cost of a call of one overload, its arguments' costs included (the target's is the walk's). */
export function functionCost(ctx: CallContext, call: Call): CallEstimate {
  const args = sum(call.argCosts);
  if (call.overload === 'logical_and' || call.overload === 'logical_or') {
    // The right side may not run: the least is the left side alone.
    const [lhs, rhs] = call.argCosts as [Range, Range];
    return { cost: { min: lhs.min, max: add(lhs, rhs).max } };
  }
  if (call.overload === 'conditional') {
    const [cond, ifTrue, ifFalse] = call.argCosts as [Range, Range, Range];
    return {
      cost: add(cond, union(ifTrue, ifFalse)),
      resultSize: union(ctx.size(call.args[1]!), ctx.size(call.args[2]!)),
    };
  }
  const own = KUBERNETES.get(call.fn)?.(ctx, call) ?? CEL.get(call.overload)?.(ctx, call) ?? { cost: ONE };
  return own.resultSize === undefined
    ? { cost: add(own.cost, args) }
    : { cost: add(own.cost, args), resultSize: own.resultSize };
}
