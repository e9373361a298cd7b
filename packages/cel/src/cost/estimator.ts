// SPDX-License-Identifier: Apache-2.0
// The static cost of one CEL expression with cel-go's model (checker/cost.go) and Kubernetes'
// size estimator (sizes from the schema node at an expression's path): each node costs what
// evaluating it can cost at most, a comprehension its range's size times its loop's cost. The
// walk mirrors cel-go's: paths are recorded per expression (`self.spec.items.@items`), sizes come
// first from what a call computed, then literals, then the schema at the path, then the type.
import { type DeclType, DYN, resolvePath, typeOf } from './declType.js';
import { type Call, type CallContext, functionCost } from './callCost.js';
import { type Comprehension, type Constant, type Expr, isAccumulator } from './expr.js';
import { overloadsOf, resultTypeOf } from './overloads.js';
import { type Range, UNKNOWN, add, fixed, multiply, sum, union } from './range.js';

/** The sizes of a list's or map's entries, when an expression built it. */
interface EntrySize {
  container: 'list' | 'map';
  key: Range;
  val: Range;
}

interface LocalVar {
  path: string[] | undefined;
  size: Range | undefined;
  entrySize: EntrySize | undefined;
  type: DeclType;
}

const ZERO = fixed(0);
const ONE = fixed(1);
const SCALARS = new Set(['bool', 'double', 'duration', 'int', 'timestamp', 'uint']);

function constantType(c: Constant): DeclType {
  switch (c.constantKind.case) {
    case 'stringValue':
      return typeOf('string');
    case 'bytesValue':
      return typeOf('bytes');
    case 'boolValue':
      return typeOf('bool');
    case 'int64Value':
      return typeOf('int');
    case 'uint64Value':
      return typeOf('uint');
    case 'doubleValue':
      return typeOf('double');
    case 'nullValue':
      return typeOf('null');
    case 'durationValue':
      return typeOf('duration');
    case 'timestampValue':
      return typeOf('timestamp');
    case undefined:
      return DYN;
  }
}

/** The size a literal has by itself: characters, bytes, elements, entries; 1 for a scalar. */
function literalSize(e: Expr): Range | undefined {
  const k = e.exprKind;
  if (k.case === 'constExpr') {
    const c = k.value.constantKind;
    if (c.case === 'stringValue') return fixed([...c.value].length);
    if (c.case === 'bytesValue') return fixed(c.value.length);
    return c.case === undefined ? undefined : ONE;
  }
  if (k.case === 'listExpr') return fixed(k.value.elements.length);
  if (k.case === 'structExpr' && k.value.messageName === '') return fixed(k.value.entries.length);
  return undefined;
}

/** The estimate of one expression against the type of `self` (and `oldSelf`). */
export interface ExpressionEstimate {
  cost: Range;
  /** Functions the estimator does not model: each counted as costing the most (never under Kubernetes). */
  unmodelled: string[];
}

/** One walk over one expression. */
class CostWalk implements CallContext {
  private readonly paths = new Map<bigint, string[] | undefined>();
  private readonly sizes = new Map<bigint, Range>();
  private readonly entrySizes = new Map<bigint, EntrySize>();
  private readonly types = new Map<bigint, DeclType>();
  private readonly vars = new Map<string, LocalVar[]>();
  readonly unmodelled = new Set<string>();

  constructor(private readonly root: DeclType) {}

  cost(e: Expr | undefined): Range {
    if (e === undefined) return ZERO;
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr':
        this.types.set(e.id, constantType(k.value));
        return ZERO;
      case 'identExpr':
        return this.ident(e, k.value.name);
      case 'selectExpr':
        return this.select(e, k.value.operand, k.value.field, k.value.testOnly);
      case 'callExpr':
        return this.call(e, k.value.function, k.value.target, k.value.args);
      case 'listExpr':
        return this.list(e, k.value.elements);
      case 'structExpr':
        return this.struct(e, k.value);
      case 'comprehensionExpr':
        return this.comprehension(e, k.value);
      case undefined:
        return ZERO;
    }
  }

  type(e: Expr): DeclType {
    return this.types.get(e.id) ?? DYN;
  }

  size(e: Expr): Range {
    return this.computeSize(e) ?? UNKNOWN;
  }

  /** The elements of a list-typed expression: sized by the schema at its path plus `@items`. */
  elementSize(list: Expr): Range {
    const path = this.path(list);
    const node = path === undefined ? undefined : resolvePath(this.root, [...path, '@items']);
    return node === undefined ? UNKNOWN : { min: 0, max: node.maxElements };
  }

  private peek(name: string): LocalVar | undefined {
    return this.vars.get(name)?.at(-1);
  }

  private push(name: string, v: LocalVar): void {
    this.vars.set(name, [...(this.vars.get(name) ?? []), v]);
  }

  private pop(name: string): void {
    this.vars.get(name)?.pop();
  }

  private path(e: Expr): string[] | undefined {
    const k = e.exprKind;
    if (k.case === 'identExpr') {
      const v = this.peek(k.value.name);
      if (v) return v.path;
    }
    return this.paths.get(e.id);
  }

  private computeSize(e: Expr): Range | undefined {
    const computed = this.sizes.get(e.id) ?? literalSize(e);
    if (computed) return computed;
    const node = resolvePath(this.root, this.path(e));
    if (node) {
      const size = { min: 0, max: node.maxElements };
      this.sizes.set(e.id, size);
      return size;
    }
    if (SCALARS.has(this.type(e).kind)) return ONE;
    const k = e.exprKind;
    return k.case === 'identExpr' ? this.peek(k.value.name)?.size : undefined;
  }

  private entrySize(e: Expr): EntrySize | undefined {
    const found = this.entrySizes.get(e.id);
    if (found) return found;
    const k = e.exprKind;
    return k.case === 'identExpr' ? this.peek(k.value.name)?.entrySize : undefined;
  }

  private ident(e: Expr, name: string): Range {
    const v = this.peek(name);
    this.paths.set(e.id, v ? v.path : [name]);
    const isSelf = name === 'self' || name === 'oldSelf';
    this.types.set(e.id, v ? v.type : isSelf ? this.root : DYN);
    return ONE;
  }

  private select(e: Expr, operand: Expr | undefined, field: string, testOnly: boolean): Range {
    // has() costs nothing beyond its operand: Kubernetes keeps cel-go's presence test cost at 0.
    const operandCost = this.cost(operand);
    if (testOnly || operand === undefined) {
      this.types.set(e.id, typeOf('bool'));
      return operandCost;
    }
    const t = this.type(operand);
    this.paths.set(e.id, [...(this.path(operand) ?? []), field]);
    this.types.set(
      e.id,
      t.kind === 'object' ? (t.fields?.get(field) ?? DYN) : t.kind === 'map' ? (t.elem ?? DYN) : DYN,
    );
    return t.kind === 'map' || t.kind === 'object' ? add(operandCost, ONE) : operandCost;
  }

  /** `sets.contains(…)` parses as a member call on an unbound `sets`: it is a namespaced function. */
  private namespaced(fn: string, target: Expr | undefined): string | undefined {
    const k = target?.exprKind;
    if (k?.case !== 'identExpr') return undefined;
    const name = k.value.name;
    return name === 'self' || name === 'oldSelf' || this.peek(name) ? undefined : `${name}.${fn}`;
  }

  private call(e: Expr, fn: string, target: Expr | undefined, args: Expr[]): Range {
    const qualified = this.namespaced(fn, target);
    if (qualified !== undefined) return this.call(e, qualified, undefined, args);
    if (fn === 'dyn' && target === undefined && args.length === 1) {
      const cost = add(ONE, this.cost(args[0]));
      const size = this.computeSize(args[0]!);
      if (size) this.sizes.set(e.id, size);
      const entries = this.entrySize(args[0]!);
      if (entries) this.entrySizes.set(e.id, entries);
      this.types.set(e.id, this.type(args[0]!));
      return cost;
    }
    const argCosts = args.map(a => this.cost(a));
    const targetCost = target ? this.cost(target) : ZERO;
    const argTypes = args.map(a => this.type(a));
    const targetType = target ? this.type(target) : undefined;
    this.types.set(e.id, resultTypeOf(fn, targetType, argTypes));
    const overloads = overloadsOf(fn, targetType, argTypes);
    if (overloads === undefined) {
      this.unmodelled.add(fn);
      return UNKNOWN;
    }
    return add(targetCost, this.overloadsCost(e, { fn, overload: '', target, args, argCosts }, overloads));
  }

  /** The costliest of the overloads a call may take; its result's size as the widest. */
  private overloadsCost(e: Expr, call: Call, overloads: string[]): Range {
    let cost: Range = { min: Number.MAX_VALUE, max: 0 };
    let resultSize: Range | undefined;
    for (const overload of overloads) {
      const estimate = functionCost(this, { ...call, overload });
      cost = union(cost, estimate.cost);
      if (estimate.resultSize)
        resultSize = resultSize ? union(resultSize, estimate.resultSize) : estimate.resultSize;
      if (overload === 'index_list' || overload === 'index_map') {
        const container = call.args[0]!;
        resultSize = this.entrySize(container)?.val;
        this.paths.set(e.id, [
          ...(this.path(container) ?? []),
          overload === 'index_list' ? '@items' : '@values',
        ]);
      }
      if (overload === 'conditional') this.conditionalEntries(e, call.args);
      resultSize ??= this.computeSize(e);
    }
    if (resultSize) this.sizes.set(e.id, resultSize);
    return cost;
  }

  private conditionalEntries(e: Expr, args: Expr[]): void {
    const a = this.entrySize(args[1]!);
    const b = this.entrySize(args[2]!);
    if (a && b)
      this.entrySizes.set(e.id, {
        container: a.container,
        key: union(a.key, b.key),
        val: union(a.val, b.val),
      });
  }

  private list(e: Expr, elements: Expr[]): Range {
    const costs = elements.map(el => this.cost(el));
    let val: Range = elements.length === 0 ? ZERO : { min: Number.MAX_VALUE, max: 0 };
    for (const el of elements) val = union(val, this.size(el));
    this.entrySizes.set(e.id, { container: 'list', key: ONE, val });
    this.types.set(e.id, typeOf('list', { elem: elements.length > 0 ? this.type(elements[0]!) : DYN }));
    return add(sum(costs), fixed(10));
  }

  private struct(e: Expr, value: Extract<Expr['exprKind'], { case: 'structExpr' }>['value']): Range {
    let total = ZERO;
    let key: Range = value.entries.length === 0 ? ZERO : { min: Number.MAX_VALUE, max: 0 };
    let val = key;
    for (const entry of value.entries) {
      if (entry.keyKind.case === 'mapKey') {
        total = add(total, this.cost(entry.keyKind.value));
        key = union(key, this.size(entry.keyKind.value));
      }
      total = add(total, this.cost(entry.value));
      if (entry.value) val = union(val, this.size(entry.value));
    }
    if (value.messageName !== '') {
      this.unmodelled.add(`message ${value.messageName}`);
      return add(total, fixed(40));
    }
    const first = value.entries[0]?.value;
    this.entrySizes.set(e.id, { container: 'map', key, val });
    this.types.set(e.id, typeOf('map', { key: typeOf('string'), elem: first ? this.type(first) : DYN }));
    return add(total, fixed(30));
  }

  /** The variable a comprehension iterates with: list items, or map keys. */
  private iterVar(range: Expr): LocalVar {
    const entries = this.entrySize(range);
    const t = this.type(range);
    const container = entries?.container ?? (t.kind === 'list' ? 'list' : 'map');
    const path = [...(this.path(range) ?? []), container === 'list' ? '@items' : '@keys'];
    const size = container === 'list' ? entries?.val : entries?.key;
    const type =
      container === 'list' ? (t.elem ?? DYN) : (t.key ?? (t.kind === 'map' ? typeOf('string') : DYN));
    return { path, size, entrySize: undefined, type };
  }

  private comprehension(e: Expr, c: Comprehension): Range {
    if (c.iterVar2 !== '') this.unmodelled.add('two-variable comprehension');
    const range = c.iterRange!;
    const init = c.accuInit!;
    let total = add(this.cost(range), this.cost(init));
    this.push(c.accuVar, {
      path: this.path(init),
      size: this.computeSize(init),
      entrySize: this.entrySize(init),
      type: this.type(init),
    });
    this.push(c.iterVar, this.iterVar(range));
    const loop = add(this.cost(c.loopCondition), this.cost(c.loopStep));
    this.pop(c.iterVar);
    total = add(total, this.cost(c.result));
    this.pop(c.accuVar);
    const count = this.size(range);
    total = add(total, multiply(count, loop));
    this.comprehensionResult(e, c, count);
    return c.iterVar2 !== '' ? UNKNOWN : total;
  }

  private comprehensionResult(e: Expr, c: Comprehension, count: Range): void {
    const init = c.accuInit!;
    const initKind = init.exprKind.case;
    if (initKind === 'constExpr') {
      const size = this.computeSize(init);
      if (size) this.sizes.set(e.id, size);
    } else if (initKind === 'listExpr' || initKind === 'structExpr') {
      this.sizes.set(e.id, count);
      const step = c.loopStep ? this.entrySize(c.loopStep) : undefined;
      if (step) this.entrySizes.set(e.id, step);
    }
    const resultType = c.result ? this.type(c.result) : DYN;
    const stepType = c.loopStep ? this.type(c.loopStep) : DYN;
    this.types.set(e.id, initKind === 'listExpr' && stepType.kind === 'list' ? stepType : resultType);
  }
}

/**
 * Estimates the cost of `expr` (parsed) where `self` and `oldSelf` have type `root`. Accumulator
 * paths are never schema paths.
 */
export function estimateExpression(expr: Expr, root: DeclType): ExpressionEstimate {
  const walk = new CostWalk(root);
  const cost = walk.cost(expr);
  return { cost, unmodelled: [...walk.unmodelled].filter(name => !isAccumulator(name)) };
}
