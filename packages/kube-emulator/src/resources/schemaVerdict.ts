// SPDX-License-Identifier: Apache-2.0
/**
 * What the apiserver answers for the schema violations of a built-in object, read from the
 * ajv errors of its kind's schema (builtinSchemas.ts):
 *
 * - a value of the wrong type, an integer out of its Go type's range, bytes that are not
 *   base64, a time or quantity that does not parse: the apiserver's JSON decoder fails, and
 *   only its first error (in document order) is answered, a 400 in Go's words
 *   (`json: cannot unmarshal bool into Go struct field Container.spec.containers.command of
 *   type string`), with the Go struct and type found through the vendored protobuf types;
 * - a value outside an enum: the apiserver's validation refuses it, a 422 cause
 *   `Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`.
 *
 * `null` decodes to a zero value in Go and is never an error; `required` is left to the
 * hand-written validation (the OpenAPI `required` lists are not what the apiserver enforces),
 * and so are empty enum values (defaulted, or a `Required value` there).
 */
import { describeSchemaError } from '@chaosplane/cel';
import type { ErrorObject } from 'ajv';
import { type FieldError } from '../errors.js';
import { type GoFieldContext, goFieldAt } from '../protobuf/goFieldPath.js';
import { protoSchema } from '../protobuf/protoSchema.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import { schemaFieldErrors } from '../schemaFieldError.js';
import { goBase64Error } from './goBase64.js';

/** What the apiserver makes of an object's schema violations. */
export interface SchemaVerdict {
  /** The decoding error the apiserver answers with (400, or a patch's 422), if any. */
  decodeError?: string;
  /** Values outside their enum, as validation causes (422). */
  fieldErrors: FieldError[];
}

/** Enums whose values the apiserver lists in its own order, not sorted (by Go struct.field). */
const ENUM_ORDER: Record<string, string[]> = {
  'PodSpec.restartPolicy': ['Always', 'OnFailure', 'Never'],
  'PodSpec.dnsPolicy': ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
  'PodSpec.preemptionPolicy': ['PreemptLowerPriority', 'Never'],
  'Container.terminationMessagePolicy': ['File', 'FallbackToLogsOnError'],
  'Taint.effect': ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
};

const QUANTITY_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The segments of an ajv instancePath (a JSON pointer). */
function segmentsOf(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const s of path) cur = Array.isArray(cur) ? cur[Number(s)] : isMap(cur) ? cur[s] : undefined;
  return cur;
}

/** Document order of every path in an object, as the decoder meets them. */
function documentOrder(obj: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const walk = (v: unknown, pointer: string): void => {
    order.set(pointer, order.size);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`));
    else if (isMap(v))
      for (const [k, x] of Object.entries(v))
        walk(x, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(obj, '');
  return order;
}

/** How Go's decoder names a JSON value it cannot store (`number 70000` into an integer). */
function goValueWord(value: unknown, intoNumber: boolean): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return intoNumber ? `number ${String(value)}` : 'number';
  return typeof value === 'object' ? 'object' : 'string';
}

/** A Go time parse error of a string that is not RFC 3339. */
function timeError(value: string): string {
  return `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`;
}

/** Where a path lands in the kind's Go structs (undefined for a kind without vendored types). */
function contextOf(type: ResourceType, version: string, path: string[]): GoFieldContext | undefined {
  const schema = protoSchema();
  const root = schema.kindMessage(type.group, version, type.kind);
  return root ? goFieldAt(schema, root, path) : undefined;
}

/** The errors that are not Go type errors: base64, quantities, times (their own unmarshalers). */
function parseError(error: ErrorObject, ctx: GoFieldContext | undefined, value: unknown): string | undefined {
  if (error.keyword === 'format' && error.params.format === 'byte' && typeof value === 'string')
    return goBase64Error(value) ?? 'illegal base64 data';
  if (ctx?.special === 'Quantity') return QUANTITY_ERROR;
  if ((ctx?.special === 'Time' || ctx?.special === 'MicroTime') && typeof value === 'string')
    return timeError(value);
  return undefined;
}

/** The Go type a value is decoded into: IntOrString takes numbers, Time a string. */
function decodedType(ctx: GoFieldContext): string {
  if (ctx.special === 'IntOrString') return 'int32';
  return ctx.special ? 'string' : ctx.goType;
}

/** The decoding error of one schema violation, in Go's words. */
function decodeMessage(type: ResourceType, version: string, error: ErrorObject, value: unknown): string {
  const path = segmentsOf(error.instancePath);
  const ctx = contextOf(type, version, path);
  const parsed = parseError(error, ctx, value);
  if (parsed !== undefined) return parsed;
  if (!ctx) {
    // A kind without vendored types: its kind and the JSON type the schema wanted.
    const wanted = String(error.params.type ?? error.params.format ?? 'string');
    const field = path.filter(s => !/^\d+$/.test(s)).join('.');
    return `json: cannot unmarshal ${goValueWord(value, /^(integer|number|int32|int64)$/.test(wanted))} into Go struct field ${type.kind}.${field} of type ${wanted}`;
  }
  const goType = decodedType(ctx);
  const what = goValueWord(value, /^u?int(8|16|32|64)?$|^float(32|64)$/.test(goType));
  return `json: cannot unmarshal ${what} into Go struct field ${ctx.struct}.${ctx.field} of type ${goType}`;
}

/** Whether an ajv error is a decoding error of the apiserver (not a validation one). */
function isDecodeError(error: ErrorObject, value: unknown): boolean {
  if (error.keyword === 'type' || error.keyword === 'oneOf') return true;
  if (error.keyword !== 'format') return false;
  const format = String(error.params.format);
  if (format === 'byte') return typeof value === 'string' && goBase64Error(value) !== undefined;
  return ['int32', 'int64', 'date-time', 'quantity'].includes(format);
}

/**
 * The validation cause of a value outside its enum, worded by the one schema path, with the
 * values in the apiserver's order where it is not the schema's.
 */
function enumError(type: ResourceType, version: string, error: ErrorObject, value: string): FieldError[] {
  const path = segmentsOf(error.instancePath);
  const ctx = contextOf(type, version, path);
  const order = ctx ? ENUM_ORDER[`${ctx.struct}.${path[path.length - 1]}`] : undefined;
  const ordered = order ? { ...error, params: { ...error.params, allowedValues: order } } : error;
  return schemaFieldErrors([describeSchemaError(ordered, value)]);
}

/**
 * True for a CRD schema value kubernetes-models types as an object although the apiserver also
 * takes another form: a bool for `additionalProperties` and `additionalItems`
 * (JSONSchemaPropsOrBool), an array for `items` (JSONSchemaPropsOrArray) and for a
 * `dependencies` value (JSONSchemaPropsOrStringArray).
 */
function isSchemaUnionForm(type: ResourceType, error: ErrorObject, value: unknown): boolean {
  if (type.kind !== 'CustomResourceDefinition' || error.keyword !== 'type') return false;
  const segments = segmentsOf(error.instancePath);
  const [parent, last] = [segments.at(-2), segments.at(-1)];
  if (typeof value === 'boolean') return last === 'additionalProperties' || last === 'additionalItems';
  return Array.isArray(value) && (last === 'items' || parent === 'dependencies');
}

/** `null` (Go's zero value) or a form the apiserver takes that the schema does not. */
function isNothingToAnswer(type: ResourceType, error: ErrorObject, value: unknown): boolean {
  return value === null || value === undefined || isSchemaUnionForm(type, error, value);
}

/**
 * The apiserver's verdict on the schema violations of a built-in object (in its served
 * version). Enums are not checked under `status`, which the apiserver's validation leaves
 * alone on create and largely on update.
 */
export function schemaVerdict(
  type: ResourceType,
  version: string,
  obj: KubeObject,
  errors: ErrorObject[],
): SchemaVerdict {
  if (errors.length === 0) return { fieldErrors: [] };
  const order = documentOrder(obj);
  let first: { error: ErrorObject; value: unknown; at: number } | undefined;
  const fieldErrors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const value = valueAt(obj, segmentsOf(error.instancePath));
    if (isNothingToAnswer(type, error, value)) continue;
    if (isDecodeError(error, value)) {
      const at = order.get(error.instancePath) ?? Infinity;
      if (!first || at < first.at) first = { error, value, at };
    } else if (error.keyword === 'enum' && typeof value === 'string' && value !== '') {
      if (error.instancePath.startsWith('/status/') || seen.has(error.instancePath)) continue;
      seen.add(error.instancePath);
      fieldErrors.push(...enumError(type, version, error, value));
    }
  }
  if (first) return { decodeError: decodeMessage(type, version, first.error, first.value), fieldErrors };
  return { fieldErrors };
}
