// SPDX-License-Identifier: Apache-2.0
/**
 * The checks of a request body before any semantics: it is an object of the addressed kind
 * and version, its metadata strings are strings, its name and namespace agree with the URL, and
 * (fieldValidation=Strict) built-in kinds carry no unknown fields.
 */
import { KubeEmulatorError, badRequest, text } from '../errors.js';
import { dropUnknownBuiltinFields } from '../resources/knownFields.js';
import { type SchemaCheck } from '../resources/builtinSchemas.js';
import { schemaVerdict } from '../resources/schemaVerdict.js';
import { type JsonObject, type KubeObject, apiVersionOf, isMap } from '../types.js';
import { type Scope, type WriteOptions } from './apiTypes.js';

/** Refuses a body whose apiVersion or kind is not the addressed one's. */
function checkTypeMeta(scope: Scope, body: JsonObject, expected: string): void {
  const type = scope.type;
  if (body.apiVersion !== undefined && body.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${text(body.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (body.kind !== undefined && body.kind !== type.kind) {
    throw badRequest(
      `the kind in the data (${text(body.kind)}) does not match the expected kind (${type.kind})`,
    );
  }
  if (type.crd && (body.kind === undefined || body.apiVersion === undefined)) {
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
  }
}

/** Refuses metadata string fields of another type (as Go's decoder does); drops nulls. */
function checkMetaStrings(md: KubeObject['metadata']): void {
  for (const f of ['name', 'namespace', 'generateName', 'resourceVersion', 'uid'] as const) {
    const v = md[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      throw badRequest(
        `json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${f} of type string`,
      );
    }
    if (v === null) delete md[f];
  }
}

/**
 * How a decoding error is answered: by default as the create and update handlers do (a 400
 * naming the kind); a patch answers with its own 422 (see patchObject.ts).
 */
export type DecodeRefusal = (detail: string) => KubeEmulatorError;

/** The create and update handlers' answer to a body that does not decode. */
function decodeRefusal(scope: Scope): DecodeRefusal {
  const kind = scope.type.kind;
  return detail =>
    badRequest(`${kind} in version "${scope.version}" cannot be handled as a ${kind}: ${detail}`);
}

/** Drops unknown fields of a built-in kind; with fieldValidation=Strict they are refused instead. */
function dropUnknownFields(
  obj: KubeObject,
  scope: Scope,
  options: WriteOptions,
  refuse: DecodeRefusal,
): void {
  const unknown = dropUnknownBuiltinFields(obj, scope.type);
  if (unknown.length > 0 && options.fieldValidation === 'Strict') {
    throw refuse(`strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`);
  }
}

/** How a request body is read: its write options, its answer to decoding errors, its schema. */
export interface BodyRequest {
  options: WriteOptions;
  /** The answer to a body that does not decode (the create and update handlers' 400 by default). */
  refuse?: DecodeRefusal;
  /** The kind's schema (built-in kinds): a value of the wrong type is a decoding error. */
  schema?: SchemaCheck;
}

/** Refuses a body that would not decode into the kind's Go types (builtinSchemas.ts). */
function checkDecodable(scope: Scope, obj: KubeObject, schema: SchemaCheck, refuse: DecodeRefusal): void {
  const verdict = schemaVerdict(scope.type, scope.version, obj, schema(obj));
  if (verdict.decodeError !== undefined) throw refuse(verdict.decodeError);
}

/**
 * A request body as an object of the addressed kind (a copy, with apiVersion and kind set):
 * values of the wrong type are refused first (as the apiserver's decoder does), then unknown
 * fields dropped, or refused with fieldValidation=Strict. Without `request` (a patch's current
 * object) the body is taken as it is.
 */
export function parseBody(scope: Scope, body: unknown, request?: BodyRequest): KubeObject {
  if (!isMap(body))
    throw badRequest(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  const expected = apiVersionOf(scope.type.group, scope.version);
  checkTypeMeta(scope, body, expected);
  if (body.metadata !== undefined && !isMap(body.metadata)) {
    throw badRequest('json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta');
  }
  const obj = structuredClone(body) as KubeObject;
  obj.apiVersion = expected;
  obj.kind = scope.type.kind;
  obj.metadata ??= {};
  checkMetaStrings(obj.metadata);
  if (!request) return obj;
  const refuse = request.refuse ?? decodeRefusal(scope);
  if (request.schema) checkDecodable(scope, obj, request.schema, refuse);
  dropUnknownFields(obj, scope, request.options, refuse);
  return obj;
}

/** Refuses a body whose name or namespace differs from the URL's. */
export function checkName(scope: Scope, name: string, obj: KubeObject): void {
  if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  if (
    scope.type.namespaced &&
    obj.metadata.namespace !== undefined &&
    obj.metadata.namespace !== '' &&
    obj.metadata.namespace !== scope.namespace
  ) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/** 404 for a subresource the addressed type does not serve (`status`, namespaces' `finalize`). */
export function checkSubresource(scope: Scope, subresource: string | undefined): void {
  if (subresource === undefined) return;
  const type = scope.type;
  const ok =
    (subresource === 'status' &&
      (type.crd ? type.crd.versions[scope.version]?.subresources.status === true : type.hasStatus)) ||
    (subresource === 'finalize' && type.group === '' && type.plural === 'namespaces');
  if (!ok)
    throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource', {
      details: {},
    });
}
