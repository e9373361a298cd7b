// SPDX-License-Identifier: Apache-2.0
/**
 * Defaulting and validation of an object about to be stored: schema defaults, pruning and
 * validation for custom resources, the built-in kinds' rules, and on update the rules that
 * compare with the stored object (immutable fields, `self == oldSelf`, finalizers while deleting).
 */
import { validateRules, type RuleViolation } from '@chaosplane/cel';
import { validatePolicyObject } from '../admission/policyObjects.js';
import { type Operation } from '../admission/policyTypes.js';
import { admitByPolicies } from '../admission/validatingPolicies.js';
import { defaultCrd, validateCrd } from '../crd/crd.js';
import { applyDefaults, pruneUnknown, unknownFields, validateSchema } from '../crd/schema.js';
import { type FieldError, badRequest, invalid } from '../errors.js';
import { type SchemaCheck } from '../resources/builtinSchemas.js';
import { applyBuiltinDefaults } from '../resources/defaults.js';
import { schemaVerdict } from '../resources/schemaVerdict.js';
import { validateBuiltinUpdate } from '../resources/immutability.js';
import { validateBuiltin, validateMetadata } from '../resources/validation.js';
import { type JsonObject, type KubeObject, type ResourceType, isMap } from '../types.js';
import { type Scope, type WriteOptions } from './apiTypes.js';
import { type CoreContext } from './coreContext.js';
import { toServed } from './conversion.js';
import { isCrdType } from './crdServing.js';

/** Each CRD version's schema without type meta, one object per schema: the compiled validator's key. */
const withoutMeta = new WeakMap<JsonObject, JsonObject>();

/**
 * A CRD schema without the type-meta properties the apiserver checks itself. The same object for
 * the same schema, so its validator is compiled once per CRD version; a CRD written again is a
 * new schema object, compiled anew.
 */
function schemaWithoutMeta(schema: JsonObject | undefined): JsonObject | undefined {
  if (!schema || !isMap(schema.properties)) return schema;
  let stripped = withoutMeta.get(schema);
  if (stripped === undefined) {
    const { metadata: _m, apiVersion: _a, kind: _k, ...props } = schema.properties;
    stripped = { ...schema, properties: props };
    withoutMeta.set(schema, stripped);
  }
  return stripped;
}

/**
 * Drops `null` fields of a built-in kind's object, recursively: the API server decodes into Go
 * structs, where a null is the zero value and is not written back (a released Lease has no
 * `holderIdentity`, not a null one).
 */
function dropNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNulls(item);
  } else if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else dropNulls(v);
    }
  }
}

/** Fills defaults: a custom resource's schema defaults, a built-in kind's defaulters. */
export function defaultAll(obj: KubeObject, type: ResourceType, version: string): void {
  if (type.crd) {
    applyDefaults(type.crd.versions[version]?.schema, obj);
  } else {
    dropNulls(obj);
    applyBuiltinDefaults(obj, type);
  }
  if (isCrdType(type)) defaultCrd(obj);
}

/** Field errors of a custom resource; unknown fields are pruned, or a 400 with fieldValidation=Strict. */
function customResourceErrors(
  obj: KubeObject,
  type: ResourceType,
  version: string,
  options: WriteOptions,
): FieldError[] {
  const crd = type.crd!;
  const schema = crd.versions[version]?.schema;
  if (schema && !crd.preserveUnknownFields) {
    if (options.fieldValidation === 'Strict') {
      const unknown = unknownFields(schema, obj);
      if (unknown.length > 0) {
        throw badRequest(`strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`);
      }
    }
    pruneUnknown(schema, obj, true);
  }
  const structural = validateSchema(schemaWithoutMeta(schema), obj);
  // CEL rules run on a value of the right shape, as the API server's order has it.
  if (structural.length > 0) return structural;
  return validateRules(schemaWithoutMeta(schema), obj).map(fieldErrorOf);
}

/** A failed CEL rule as a field error of a 422. */
function fieldErrorOf(violation: RuleViolation): FieldError {
  return { field: violation.field, type: violation.reason, detail: violation.detail };
}

/** Values outside their enums (the kind's schema), less fields the hand-written rules report. */
function enumErrors(
  obj: KubeObject,
  type: ResourceType,
  version: string,
  schema: SchemaCheck,
  known: FieldError[],
): FieldError[] {
  const served = toServed(type, version, obj);
  const reported = new Set(known.map(e => e.field));
  return schemaVerdict(type, version, served, schema(served)).fieldErrors.filter(e => !reported.has(e.field));
}

/**
 * Validates an object to be stored; throws 422 Invalid with every field error. `schema` is a
 * built-in kind's (builtinSchemas.ts): its enums are checked with the hand-written rules.
 */
export function validateAll(
  obj: KubeObject,
  type: ResourceType,
  version: string,
  options: WriteOptions,
  schema?: SchemaCheck,
): void {
  const errors: FieldError[] = validateMetadata(obj, type);
  if (type.crd) {
    errors.push(...customResourceErrors(obj, type, version, options));
  } else {
    errors.push(...validateBuiltin(obj, type));
    if (isCrdType(type)) errors.push(...validateCrd(obj));
    errors.push(...validatePolicyObject(obj, type));
    if (schema) errors.push(...enumErrors(obj, type, version, schema, errors));
  }
  if (errors.length > 0) throw invalid(type.kind, type.group, obj.metadata.name ?? '', errors);
}

/**
 * The rules of an update that compare with the stored object: built-in immutable fields (not
 * for subresources), `self == oldSelf` transition rules of custom resources.
 */
export function validateTransition(
  scope: Scope,
  next: KubeObject,
  existing: KubeObject,
  subresource: string | undefined,
): void {
  const type = scope.type;
  const name = existing.metadata.name!;
  if (subresource === undefined && !type.crd) {
    const refused = validateBuiltinUpdate(next, existing, type);
    if (refused.length > 0) throw invalid(type.kind, type.group, name, refused);
  }
  if (type.crd) {
    const schema = type.crd.versions[scope.version]?.schema;
    const refused = validateRules(schemaWithoutMeta(schema), toServed(type, scope.version, next), {
      old: toServed(type, scope.version, existing),
      only: 'transition',
    }).map(fieldErrorOf);
    if (refused.length > 0) throw invalid(type.kind, type.group, name, refused);
  }
}

/** No finalizer may be added to an object that is being deleted. */
export function checkNoNewFinalizers(type: ResourceType, next: KubeObject, existing: KubeObject): void {
  const old = existing.metadata;
  if (!old.deletionTimestamp) return;
  const before = new Set(old.finalizers ?? []);
  const added = (next.metadata.finalizers ?? []).filter(f => !before.has(f));
  if (added.length === 0) return;
  throw invalid(type.kind, type.group, existing.metadata.name!, [
    {
      field: 'metadata.finalizers',
      type: 'FieldValueForbidden',
      detail: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(f => JSON.stringify(f)).join(', ')}}`,
    },
  ]);
}

/**
 * Validating admission: the ValidatingAdmissionPolicies bound to the write run on it (in the
 * request's version) when it came through the API; their warnings go to the request, a denial
 * is thrown. `next` is the object to store (null on delete), `existing` the stored one.
 */
export function admitWrite(
  ctx: CoreContext,
  scope: Scope,
  operation: Operation,
  next: KubeObject | null,
  existing: KubeObject | null,
  options: WriteOptions & { subresource?: string | undefined },
): void {
  const request = options.admission;
  if (request === undefined) return;
  const named = next ?? existing;
  admitByPolicies(
    ctx.store,
    {
      operation,
      type: scope.type,
      version: scope.version,
      ...(options.subresource !== undefined ? { subresource: options.subresource } : {}),
      ...(named?.metadata.namespace !== undefined ? { namespace: named.metadata.namespace } : {}),
      name: named?.metadata.name ?? '',
      object: next === null ? null : toServed(scope.type, scope.version, next),
      oldObject: existing === null ? null : toServed(scope.type, scope.version, existing),
      ...(request.user !== undefined ? { user: request.user } : {}),
      dryRun: options.dryRun === true,
    },
    request,
  );
}
