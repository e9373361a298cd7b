// SPDX-License-Identifier: Apache-2.0
// Which overload a call resolves to, and the type of its result. cel-go's checker records both;
// @bufbuild/cel offers a checker too, but only over protobuf-declared types, and a CRD schema is
// not one. So the estimator infers the few types its cost rules depend on (string, bytes, list,
// map, object) from the schema and the literals, and resolves overloads from them. Where a type
// is unknown (dyn) every overload it could be is kept, and the costliest one counts, as cel-go
// does for a dyn argument.
import { KUBERNETES_COSTED_FUNCTIONS } from './callCost.js';
import { type DeclType, DYN, typeOf } from './declType.js';

const BOOL = typeOf('bool');
const INT = typeOf('int');
const STRING = typeOf('string');

/** A timestamp's fields, read at a fixed cost and all ints. */
const TIMESTAMP_GETTERS = [
  'getFullYear',
  'getMonth',
  'getDayOfYear',
  'getDayOfMonth',
  'getDate',
  'getDayOfWeek',
  'getHours',
  'getMinutes',
  'getSeconds',
  'getMilliseconds',
];

/** Functions cel-go costs at 1 plus their arguments, as the estimator does. */
const DEFAULT_COST = new Set([
  '!_',
  '-_',
  '_-_',
  '_*_',
  '_/_',
  '_%_',
  'size',
  'int',
  'uint',
  'double',
  'string',
  'bool',
  'bytes',
  'duration',
  'timestamp',
  'type',
  '@not_strictly_false',
  ...TIMESTAMP_GETTERS,
  'charAt',
  'matches',
  'isURL',
  'getScheme',
  'getHost',
  'getHostname',
  'getPort',
  'getEscapedPath',
  'getQuery',
  'isIP',
  'isCIDR',
  'cidr',
  'ip',
  'quantity',
  'isQuantity',
]);

/** Functions with a cost rule of their own (Kubernetes' library or cel-go's), resolved by name. */
const NAMED_COST: ReadonlySet<string> = new Set([...KUBERNETES_COSTED_FUNCTIONS, 'format', 'strings.quote']);

const kindsOf = (t: DeclType, ...kinds: string[]) => kinds.includes(t.kind);

/** Overloads by the kind of the deciding argument: exact when known, every candidate for dyn. */
function byKind(t: DeclType, table: Record<string, string>, fallback: string): string[] {
  if (t.kind === 'dyn') return [...new Set([...Object.values(table), fallback])];
  return [table[t.kind] ?? fallback];
}

/** Operators with one overload whatever their operands. */
const FIXED_OPERATORS: ReadonlyMap<string, string> = new Map([
  ['_&&_', 'logical_and'],
  ['_||_', 'logical_or'],
  ['_?_:_', 'conditional'],
  ['_==_', 'equals'],
  ['_!=_', 'not_equals'],
]);

function operatorOverloads(fn: string, argTypes: DeclType[]): string[] | undefined {
  const fixed = FIXED_OPERATORS.get(fn);
  if (fixed !== undefined) return [fixed];
  const [a = DYN, b = DYN] = argTypes;
  switch (fn) {
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_':
      return byKind(a, { string: 'compare_string', bytes: 'compare_string' }, 'default');
    case '_+_':
      return byKind(a, { string: 'add_string', bytes: 'add_bytes', list: 'add_list' }, 'default');
    case '_[_]':
      return byKind(a, { list: 'index_list', map: 'index_map' }, 'default');
    case '@in':
      return byKind(b, { list: 'in_list', map: 'in_map' }, 'default');
    default:
      return undefined;
  }
}

/** String methods with one overload. */
const STRING_METHODS: ReadonlyMap<string, string> = new Map([
  ['matches', 'matches_string'],
  ['contains', 'contains_string'],
  ['startsWith', 'starts_with_string'],
  ['endsWith', 'ends_with_string'],
  ['format', 'ext_format_string'],
]);

function memberOverloads(fn: string, target: DeclType, argTypes: DeclType[]): string[] | undefined {
  if (!kindsOf(target, 'string', 'dyn')) return undefined;
  const method = STRING_METHODS.get(fn);
  if (method !== undefined) return [method];
  if (fn === 'containsIP' || fn === 'containsCIDR')
    return [`${fn}_${argTypes[0]?.kind === 'string' ? 'string' : 'value'}`];
  return undefined;
}

/**
 * The overloads a call may resolve to, or undefined when the estimator does not model the
 * function (its caller then assumes the worst, which is never below Kubernetes' estimate).
 */
export function overloadsOf(
  fn: string,
  target: DeclType | undefined,
  argTypes: DeclType[],
): string[] | undefined {
  if (target === undefined) {
    const operator = operatorOverloads(fn, argTypes);
    if (operator) return operator;
    if (fn === 'bytes' && argTypes[0]?.kind === 'string') return ['string_to_bytes'];
    if (fn === 'string' && argTypes[0]?.kind === 'bytes') return ['bytes_to_string'];
    if (fn === 'strings.quote') return ['ext_quote_string'];
  } else {
    const member = memberOverloads(fn, target, argTypes);
    if (member) return member;
  }
  if (DEFAULT_COST.has(fn) || NAMED_COST.has(fn)) return [fn];
  return undefined;
}

const RESULT_TYPES: [DeclType, string[]][] = [
  [
    BOOL,
    [
      '_==_',
      '_!=_',
      '_<_',
      '_<=_',
      '_>_',
      '_>=_',
      '_&&_',
      '_||_',
      '!_',
      '@in',
      '@not_strictly_false',
      'matches',
      'contains',
      'startsWith',
      'endsWith',
      'isSorted',
      'isURL',
      'isIP',
      'isCIDR',
      'isQuantity',
      'bool',
      'isInteger',
      'isGreaterThan',
      'isLessThan',
      'containsIP',
      'containsCIDR',
      'ip.isCanonical',
    ],
  ],
  [
    INT,
    [
      'size',
      'int',
      'indexOf',
      'lastIndexOf',
      ...TIMESTAMP_GETTERS,
      'sign',
      'asInteger',
      'compareTo',
      'prefixLength',
      'family',
    ],
  ],
  [
    STRING,
    [
      'string',
      'lowerAscii',
      'upperAscii',
      'trim',
      'substring',
      'replace',
      'charAt',
      'format',
      'join',
      'strings.quote',
      'find',
      'getScheme',
      'getHost',
      'getHostname',
      'getPort',
      'getEscapedPath',
    ],
  ],
  [typeOf('list', { elem: STRING }), ['split', 'findAll']],
  [typeOf('double'), ['double', 'asApproximateFloat']],
  [typeOf('uint'), ['uint']],
  [typeOf('bytes'), ['bytes']],
  [typeOf('duration'), ['duration']],
  [typeOf('timestamp'), ['timestamp']],
];
const RESULT_TYPE = new Map(RESULT_TYPES.flatMap(([t, fns]) => fns.map(fn => [fn, t] as const)));

type Derive = (target: DeclType | undefined, a: DeclType, b: DeclType, c: DeclType) => DeclType;
const sameAsFirst: Derive = (_t, a) => a;
const elementOfTarget: Derive = t => t?.elem ?? DYN;

/** Result types that follow the arguments' types. */
const DERIVED = new Map<string, Derive>([
  ['_+_', (_t, a, b) => (a.kind === 'list' && (a.elem === undefined || a.elem.kind === 'dyn') ? b : a)],
  ['_-_', sameAsFirst],
  ['_*_', sameAsFirst],
  ['_/_', sameAsFirst],
  ['_%_', sameAsFirst],
  ['-_', sameAsFirst],
  ['_[_]', (_t, a) => (a.kind === 'list' || a.kind === 'map' ? (a.elem ?? DYN) : DYN)],
  ['_?_:_', (_t, _a, b, c) => (b.kind === 'null' || b.kind === 'dyn' ? c : b)],
  ['sum', elementOfTarget],
  ['min', elementOfTarget],
  ['max', elementOfTarget],
]);

/** The type of a call's result, from its function and its target's and arguments' types. */
export function resultTypeOf(fn: string, target: DeclType | undefined, argTypes: DeclType[]): DeclType {
  const [a = DYN, b = DYN, c = DYN] = argTypes;
  return RESULT_TYPE.get(fn) ?? DERIVED.get(fn)?.(target, a, b, c) ?? DYN;
}
