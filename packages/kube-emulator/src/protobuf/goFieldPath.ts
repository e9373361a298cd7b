// SPDX-License-Identifier: Apache-2.0
/**
 * Where a JSON path lands in the Go structs behind a kind, as Go's JSON decoder names it in a
 * type error (`Go struct field Container.spec.containers.command of type string`): the struct
 * that holds the field, the field names from the root (no list indexes or map keys), and the
 * Go type of the value there. Found through the vendored protobuf messages (one per Go struct)
 * and their Go facts; inlined structs lend their fields to their parent, as in Go.
 */
import type protobuf from 'protobufjs';
import { type GoField, type ProtoSchema } from './protoSchema.js';

/** A type with its own JSON form, which its Go unmarshaler decodes itself. */
export type SpecialType = 'Time' | 'MicroTime' | 'IntOrString' | 'Quantity' | 'RawExtension' | 'FieldsV1';

/** A JSON path in Go's words. */
export interface GoFieldContext {
  /** The Go struct holding the last field (`Container`). */
  struct: string;
  /** The JSON names of the fields from the root, joined by dots (`spec.containers.command`). */
  field: string;
  /** The Go type of the value at the path, pointers dereferenced (`string`, `[]v1.Container`). */
  goType: string;
  /** Set when the value at the path is one of the types with their own JSON form. */
  special?: SpecialType;
}

const SPECIAL: Record<string, SpecialType> = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'MicroTime',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'Quantity',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'RawExtension',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'FieldsV1',
};

function specialOf(type: protobuf.Type | undefined): SpecialType | undefined {
  return type ? SPECIAL[type.fullName.replace(/^\./, '')] : undefined;
}

function messageOf(field: protobuf.Field): protobuf.Type | undefined {
  const t = field.resolvedType;
  return t && 'fields' in t ? (t as protobuf.Type) : undefined;
}

/** A field of a message by its JSON name, looking into inlined structs as Go promotes them. */
function jsonField(
  schema: ProtoSchema,
  type: protobuf.Type,
  name: string,
): { field: protobuf.Field; go: GoField } | undefined {
  for (const field of type.fieldsArray) {
    const go = schema.goField(type, field.name);
    if (!go) continue;
    if (go.inline) {
      const inner = messageOf(field);
      const found = inner ? jsonField(schema, inner, name) : undefined;
      if (found) return found;
    } else if (field.name === name) return { field, go };
  }
  return undefined;
}

/** The Go type of a list element or map value (`[]v1.Container` → `v1.Container`). */
function elementType(goType: string): string {
  const t = goType.replace(/^\*/, '');
  if (t.startsWith('[]')) return t.slice(2).replace(/^\*/, '');
  const map = /^map\[[^\]]+\](.*)$/.exec(t);
  return map?.[1] !== undefined ? map[1].replace(/^\*/, '') : t;
}

/** Where we are in the walk: in a message, on a field, or on an element of a list or map field. */
type Position =
  | { at: 'message'; type: protobuf.Type }
  | { at: 'field'; field: protobuf.Field; go: GoField }
  | { at: 'element'; field: protobuf.Field; go: GoField };

/** One step of the walk; undefined when the path leaves the known structs. */
function step(
  schema: ProtoSchema,
  pos: Position,
  segment: string,
  ctx: { struct: string; fields: string[] },
): Position | undefined {
  if (pos.at === 'field' && (pos.field.repeated || pos.field.map)) return { ...pos, at: 'element' };
  const type = pos.at === 'message' ? pos.type : messageOf(pos.field);
  if (!type || specialOf(type)) return undefined;
  const found = jsonField(schema, type, segment);
  if (!found) return undefined;
  ctx.struct = type.name;
  ctx.fields.push(segment);
  return { at: 'field', ...found };
}

/** The Go context of a JSON path (segments, indexes and keys included) from a kind's message. */
export function goFieldAt(
  schema: ProtoSchema,
  root: protobuf.Type,
  path: string[],
): GoFieldContext | undefined {
  const ctx = { struct: root.name, fields: [] as string[] };
  let pos: Position = { at: 'message', type: root };
  for (const segment of path) {
    const next = step(schema, pos, segment, ctx);
    if (!next) return undefined;
    pos = next;
  }
  if (pos.at === 'message' || ctx.fields.length === 0) return undefined;
  const single = pos.at === 'element' || !(pos.field.repeated || pos.field.map);
  const goType = pos.at === 'element' ? elementType(pos.go.goType) : pos.go.goType.replace(/^\*/, '');
  const special = single ? specialOf(messageOf(pos.field)) : undefined;
  return { struct: ctx.struct, field: ctx.fields.join('.'), goType, ...(special ? { special } : {}) };
}
