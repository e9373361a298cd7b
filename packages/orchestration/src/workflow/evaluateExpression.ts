// SPDX-License-Identifier: Apache-2.0
// The expressions of a Task's conditional branches, in the subset of expr-lang (Chaos Mesh uses
// github.com/antonmedv/expr v1.8.9) that branch conditions use: literals, the variables
// `exitCode` and `stdout` (and members of objects), `== != < <= > >=`, `&& || !` and their
// words `and or not`, `+ - * / %`, `in`, `contains`, `startsWith`, `endsWith`, `matches`, and
// `len()`. jsep parses; this evaluates, with no access to anything but the environment.
import jsep from 'jsep';

jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('or', 1);
jsep.addBinaryOp('in', 7);
jsep.addBinaryOp('contains', 7);
jsep.addBinaryOp('startsWith', 7);
jsep.addBinaryOp('endsWith', 7);
jsep.addBinaryOp('matches', 7);
jsep.addUnaryOp('not');

/** The result of a branch: True, False, or Unknown when it cannot be evaluated. */
export type BranchResult = 'True' | 'False' | 'Unknown';

type Value = unknown;

const fail = (message: string): never => {
  throw new Error(message);
};

function compare(operator: string, a: Value, b: Value): boolean {
  switch (operator) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return (a as number) < (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>':
      return (a as number) > (b as number);
    default:
      return (a as number) >= (b as number);
  }
}

function arithmetic(operator: string, a: Value, b: Value): Value {
  if (operator === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a !== 'number' || typeof b !== 'number')
    return fail(`invalid operation: ${operator} on non-numbers`);
  if (operator === '+') return a + b;
  if (operator === '-') return a - b;
  if (operator === '*') return a * b;
  if (operator === '/') return a / b;
  return a % b;
}

function stringOperator(operator: string, a: Value, b: Value): boolean {
  if (typeof a !== 'string' || typeof b !== 'string')
    return fail(`invalid operation: ${operator} on non-strings`);
  if (operator === 'contains') return a.includes(b);
  if (operator === 'startsWith') return a.startsWith(b);
  if (operator === 'endsWith') return a.endsWith(b);
  return new RegExp(b).test(a);
}

function binary(node: jsep.BinaryExpression, env: Record<string, Value>): Value {
  const { operator } = node;
  if (operator === '&&' || operator === 'and')
    return truthy(evaluate(node.left, env)) && truthy(evaluate(node.right, env));
  if (operator === '||' || operator === 'or')
    return truthy(evaluate(node.left, env)) || truthy(evaluate(node.right, env));
  const a = evaluate(node.left, env);
  const b = evaluate(node.right, env);
  if (['==', '!=', '<', '<=', '>', '>='].includes(operator)) return compare(operator, a, b);
  if (['+', '-', '*', '/', '%'].includes(operator)) return arithmetic(operator, a, b);
  if (operator === 'in')
    return Array.isArray(b) ? b.includes(a) : typeof b === 'object' && b !== null && String(a) in b;
  if (['contains', 'startsWith', 'endsWith', 'matches'].includes(operator))
    return stringOperator(operator, a, b);
  return fail(`unknown operator ${operator}`);
}

function truthy(value: Value): boolean {
  return typeof value === 'boolean' ? value : fail('non-bool value in a logical expression');
}

function member(node: jsep.MemberExpression, env: Record<string, Value>): Value {
  const object = evaluate(node.object, env);
  const key = node.computed ? evaluate(node.property, env) : (node.property as jsep.Identifier).name;
  if (typeof object !== 'object' || object === null) return fail('cannot fetch a member of a non-object');
  return Object.prototype.hasOwnProperty.call(object, String(key))
    ? (object as Record<string, Value>)[String(key)]
    : null;
}

function call(node: jsep.CallExpression, env: Record<string, Value>): Value {
  const name = node.callee.type === 'Identifier' ? (node.callee as jsep.Identifier).name : '';
  if (name !== 'len' || node.arguments.length !== 1) return fail(`unknown function ${name}`);
  const value = evaluate(node.arguments[0]!, env);
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length;
  return fail('invalid argument for len');
}

function evaluate(node: jsep.Expression, env: Record<string, Value>): Value {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value;
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'nil') return null;
      if (name === 'true' || name === 'false') return name === 'true';
      return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : fail(`unknown name ${name}`);
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      const value = evaluate(unary.argument, env);
      if (unary.operator === '!' || unary.operator === 'not') return !truthy(value);
      if (unary.operator === '-') return -(value as number);
      return fail(`unknown operator ${unary.operator}`);
    }
    case 'BinaryExpression':
      return binary(node as jsep.BinaryExpression, env);
    case 'MemberExpression':
      return member(node as jsep.MemberExpression, env);
    case 'CallExpression':
      return call(node as jsep.CallExpression, env);
    case 'ArrayExpression':
      return (node as jsep.ArrayExpression).elements.map(e => (e ? evaluate(e, env) : null));
    default:
      return fail(`unsupported expression ${node.type}`);
  }
}

/**
 * Evaluates a branch expression against `env` (`exitCode`, `stdout`). An empty expression is
 * always selected, as Chaos Mesh's API documents; any error, or a result that is not a bool,
 * gives Unknown.
 */
export function evaluateBranch(expression: string | undefined, env: Record<string, unknown>): BranchResult {
  if (expression === undefined || expression.trim() === '') return 'True';
  try {
    const result = evaluate(jsep(expression), env);
    if (typeof result !== 'boolean') return 'Unknown';
    return result ? 'True' : 'False';
  } catch {
    return 'Unknown';
  }
}
