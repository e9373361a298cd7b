// SPDX-License-Identifier: Apache-2.0
/**
 * A decoded protobuf message in the JSON form the apiserver would store for it: what its Go
 * struct marshals to. The wire holds every non-pointer field, zero or not, so zero values are
 * dropped where the Go field is `omitempty` and not a pointer; inlined structs are merged into
 * their parent; and the types with their own JSON form are converted (Time and MicroTime to
 * RFC 3339, Quantity to its string, IntOrString to a number or a string, bytes to base64,
 * RawExtension and FieldsV1 to the JSON they hold).
 */
import type protobuf from 'protobufjs';
import { type JsonObject } from '../types.js';
import { type ProtoSchema } from './protoSchema.js';

const APIMACHINERY = 'k8s.io.apimachinery.pkg';

/** RFC 3339 in seconds (Time) or microseconds (MicroTime), as the apiserver writes them. */
function timeOf(value: JsonObject, micro: boolean): string | undefined {
  if (value.seconds === undefined) return undefined;
  const iso = new Date(Number(value.seconds) * 1000).toISOString().slice(0, 19);
  if (!micro) return `${iso}Z`;
  const nanos = Number(value.nanos ?? 0);
  return `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** The JSON a RawExtension or FieldsV1 carries (undefined when empty or not JSON). */
function embeddedJson(base64: unknown): unknown {
  if (typeof base64 !== 'string' || base64 === '') return undefined;
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Messages whose Go type marshals to JSON its own way; undefined means absent. */
const SPECIAL: Record<string, (value: JsonObject) => unknown> = {
  [`${APIMACHINERY}.apis.meta.v1.Time`]: v => timeOf(v, false),
  [`${APIMACHINERY}.apis.meta.v1.MicroTime`]: v => timeOf(v, true),
  [`${APIMACHINERY}.api.resource.Quantity`]: v => v.string,
  [`${APIMACHINERY}.util.intstr.IntOrString`]: v =>
    Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : Number(v.intVal ?? 0),
  [`${APIMACHINERY}.runtime.RawExtension`]: v => embeddedJson(v.raw),
  [`${APIMACHINERY}.apis.meta.v1.FieldsV1`]: v => embeddedJson(v.Raw),
};

/** Whether a scalar is its type's zero value. */
function isZero(value: unknown): boolean {
  return value === '' || value === false || value === 0 || value === '0';
}

/** A scalar in JSON: 64-bit integers arrive as strings (protobufjs `longs: String`). */
function scalar(field: protobuf.Field, value: unknown): unknown {
  const int64 = ['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type);
  return int64 ? Number(value) : value;
}

/** One value of a field (an element of a list, a map value, or the field's value). */
function convertValue(schema: ProtoSchema, field: protobuf.Field, value: unknown): unknown {
  const type = field.resolvedType;
  if (type && 'fields' in type) return convertMessage(schema, type as protobuf.Type, value as JsonObject);
  return scalar(field, value);
}

/** Converts one field into `out` (or into `out` itself for an inlined struct). */
function convertField(
  schema: ProtoSchema,
  type: protobuf.Type,
  field: protobuf.Field,
  value: unknown,
  out: JsonObject,
): void {
  const go = schema.goField(type, field.name);
  if (field.map) {
    const map = Object.entries(value as JsonObject);
    if (map.length > 0)
      out[field.name] = Object.fromEntries(map.map(([k, v]) => [k, convertValue(schema, field, v)]));
    return;
  }
  if (field.repeated) {
    const list = value as unknown[];
    if (list.length > 0) out[field.name] = list.map(v => convertValue(schema, field, v));
    return;
  }
  const converted = convertValue(schema, field, value);
  if (converted === undefined) return;
  if (go?.inline && converted !== null && typeof converted === 'object') {
    Object.assign(out, converted);
    return;
  }
  // A zero on the wire is meant only for pointers and fields without omitempty.
  if (isZero(converted) && !(go && (go.pointer || !go.omitempty))) return;
  out[field.name] = converted;
}

/** A message (as protobufjs' plain object) in its Go struct's JSON form. */
export function convertMessage(schema: ProtoSchema, type: protobuf.Type, value: JsonObject): unknown {
  const special = SPECIAL[type.fullName.replace(/^\./, '')];
  if (special) return special(value);
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    convertField(schema, type, field, v, out);
  }
  return out;
}

/** Decodes a message's bytes into its JSON form. */
export function decodeMessage(schema: ProtoSchema, type: protobuf.Type, bytes: Uint8Array): JsonObject {
  const plain = type.toObject(type.decode(bytes), { longs: String, bytes: String, defaults: false });
  return convertMessage(schema, type, plain as JsonObject) as JsonObject;
}
