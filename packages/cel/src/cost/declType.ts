// SPDX-License-Identifier: Apache-2.0
// What the cost model knows of a schema node (Kubernetes' DeclType, built by SchemaDeclType in
// k8s.io/apiserver/pkg/cel/common/schemas.go): its CEL kind, the most elements it can hold
// (characters of a string, items of a list, entries of a map) and the smallest JSON it serializes
// to. A declared maxLength/maxItems/maxProperties bounds a node; without one the bound is what fits
// in the largest request given the smallest serialized element.
import { MAX_REQUEST_SIZE_BYTES, MAX_SIZE, MIN_SIZE } from './limits.js';

/** The CEL kinds the estimator tells apart. */
export type CelKind =
  | 'string'
  | 'bytes'
  | 'int'
  | 'uint'
  | 'double'
  | 'bool'
  | 'null'
  | 'duration'
  | 'timestamp'
  | 'list'
  | 'map'
  | 'object'
  | 'dyn'
  | 'opaque';

/** A CEL type with Kubernetes' size facts. Also used for the types of literals and call results. */
export interface DeclType {
  kind: CelKind;
  /** Characters, items or entries at most; 0 for scalars and objects (as Kubernetes declares them). */
  maxElements: number;
  /** Bytes of the smallest JSON value of this type. */
  minSerializedSize: number;
  fields?: Map<string, DeclType>;
  elem?: DeclType;
  key?: DeclType;
}

type Schema = Record<string, unknown>;

const isMap = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? Math.max(0, Math.floor(v)) : undefined;

/** A type with no size facts: literals, call results, unknown values. */
export const typeOf = (kind: CelKind, parts: Partial<DeclType> = {}): DeclType => ({
  kind,
  maxElements: 0,
  minSerializedSize: 0,
  ...parts,
});

export const DYN = typeOf('dyn');

/** The longest string that fits in one request (the two quotes aside). */
const UNBOUNDED_STRING = MAX_REQUEST_SIZE_BYTES - 2;

/** How many times a value of `minSize` bytes can occur in one request (one comma between each). */
export function maxCardinality(minSize: number): number {
  return Math.floor(MAX_REQUEST_SIZE_BYTES / (minSize + 1));
}

/** A string node: maxLength (in runes, so ×4 bytes), else the longest enum value, else the request. */
function stringType(s: Schema): DeclType {
  const maxLength = num(s['maxLength']);
  switch (s['format']) {
    case 'byte':
      return typeOf('bytes', {
        minSerializedSize: MIN_SIZE.string,
        maxElements: maxLength ?? UNBOUNDED_STRING,
      });
    case 'duration':
      return typeOf('duration', { minSerializedSize: MIN_SIZE.duration, maxElements: MAX_SIZE.duration });
    case 'date':
      return typeOf('timestamp', { minSerializedSize: MIN_SIZE.date, maxElements: MAX_SIZE.date });
    case 'date-time':
      return typeOf('timestamp', { minSerializedSize: MIN_SIZE.dateTime, maxElements: MAX_SIZE.dateTime });
  }
  let maxElements = UNBOUNDED_STRING;
  if (maxLength !== undefined) maxElements = maxLength * 4;
  else if (Array.isArray(s['enum']) && s['enum'].length > 0)
    maxElements = Math.max(0, ...s['enum'].map(v => (typeof v === 'string' ? Buffer.byteLength(v) : 0)));
  return typeOf('string', { minSerializedSize: MIN_SIZE.string, maxElements });
}

/** The fields every resource root exposes to rules even when its schema omits them. */
function withTypeAndObjectMeta(s: Schema): Schema {
  const properties = isMap(s['properties']) ? s['properties'] : {};
  const metadata = isMap(properties['metadata']) ? properties['metadata'] : {};
  const metaProps = isMap(metadata['properties']) ? metadata['properties'] : {};
  const str = { type: 'string' };
  return {
    ...s,
    properties: {
      kind: str,
      apiVersion: str,
      ...properties,
      metadata: { type: 'object', ...metadata, properties: { name: str, generateName: str, ...metaProps } },
    },
  };
}

function objectType(s: Schema): DeclType | undefined {
  const additional = s['additionalProperties'];
  if (isMap(additional)) {
    const values = declTypeOf(additional, additional['x-kubernetes-embedded-resource'] === true);
    if (values === undefined) return undefined;
    const maxElements =
      num(s['maxProperties']) ?? Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (values.minSerializedSize + 6));
    // Kubernetes declares map keys as plain strings with no size: 0 characters as far as costs go.
    const key = typeOf('string', { minSerializedSize: MIN_SIZE.string });
    return typeOf('map', { maxElements, minSerializedSize: 2, key, elem: values });
  }
  const properties = isMap(s['properties']) ? s['properties'] : {};
  const required = new Set(Array.isArray(s['required']) ? s['required'] : []);
  const fields = new Map<string, DeclType>();
  let minSerializedSize = 2; // {}
  for (const [name, prop] of Object.entries(properties)) {
    if (!isMap(prop)) continue;
    const field = declTypeOf(prop, prop['x-kubernetes-embedded-resource'] === true);
    if (field === undefined) continue;
    fields.set(name, field);
    // A required property without a default is always serialized: "name": value,
    if (required.has(name) && prop['default'] === undefined)
      minSerializedSize += name.length + field.minSerializedSize + 4;
  }
  return typeOf('object', { fields, minSerializedSize });
}

/**
 * The DeclType of a schema node, or undefined where Kubernetes exposes nothing to rules (no type,
 * or a list/map of such). `isResourceRoot` for a resource's root and embedded resources.
 * Property names are kept as written: a name CEL must escape (`a-b` is `a__dash__b`) is not modelled.
 */
export function declTypeOf(s: Schema, isResourceRoot = false): DeclType | undefined {
  // A CRD's nodes with rules are nested: each node's type is built once, not once per ancestor.
  const cache = isResourceRoot ? rootTypes : types;
  if (cache.has(s)) return cache.get(s);
  const built = buildDeclType(s, isResourceRoot);
  cache.set(s, built);
  return built;
}

const types = new WeakMap<Schema, DeclType | undefined>();
const rootTypes = new WeakMap<Schema, DeclType | undefined>();

function buildDeclType(s: Schema, isResourceRoot: boolean): DeclType | undefined {
  if (s['x-kubernetes-int-or-string'] === true) {
    const maxLength = num(s['maxLength']);
    return typeOf('dyn', {
      minSerializedSize: 1,
      maxElements: maxLength !== undefined ? maxLength * 4 : UNBOUNDED_STRING,
    });
  }
  const schema = isResourceRoot && s['type'] === 'object' ? withTypeAndObjectMeta(s) : s;
  switch (schema['type']) {
    case 'array': {
      const items = schema['items'];
      if (!isMap(items)) return undefined;
      const elem = declTypeOf(items, items['x-kubernetes-embedded-resource'] === true);
      if (elem === undefined) return undefined;
      const maxElements =
        num(schema['maxItems']) ?? Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (elem.minSerializedSize + 1));
      return typeOf('list', { maxElements, minSerializedSize: 2, elem });
    }
    case 'object':
      return objectType(schema);
    case 'string':
      return stringType(schema);
    case 'boolean':
      return typeOf('bool', { minSerializedSize: MIN_SIZE.bool });
    case 'number':
      return typeOf('double', { minSerializedSize: MIN_SIZE.number });
    case 'integer':
      return typeOf('int', { minSerializedSize: MIN_SIZE.number });
    default:
      return undefined;
  }
}

/**
 * The node a cost-model path leads to from `root` (its first step, the variable, is skipped, as
 * Kubernetes does): `@items`/`@values` step into elements, `@keys` into map keys, a name into a field.
 */
export function resolvePath(root: DeclType, path: readonly string[] | undefined): DeclType | undefined {
  if (path === undefined || path.length === 0) return undefined;
  let node: DeclType | undefined = root;
  for (const step of path.slice(1)) {
    if (step === '@items' || step === '@values') node = node.elem;
    else if (step === '@keys') node = node.key;
    else node = node.fields?.get(step);
    if (node === undefined) return undefined;
  }
  return node;
}
