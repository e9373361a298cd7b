// SPDX-License-Identifier: Apache-2.0
/**
 * `update` (and the common tail of `patch`): preconditions, the merge of the request with what
 * only the server owns (metadata, status outside `/status`, a namespace's spec), defaulting,
 * validation, generation, and the write, which removes an object whose last finalizer went.
 */
import { conflict, invalid } from '../errors.js';
import { builtinSchema } from '../resources/builtinSchemas.js';
import { objectKey } from '../store/objectStore.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import {
  admitWrite,
  checkNoNewFinalizers,
  defaultAll,
  validateAll,
  validateTransition,
} from './admission.js';
import { type Scope, type WriteOptions } from './apiTypes.js';
import { toStorage } from './conversion.js';
import { type CoreContext } from './coreContext.js';
import { checkCrdConflicts, crdStatusOnUpdate } from './crdServing.js';
import { normalizeMeta, readyToRemove, specPart } from './objectMeta.js';
import { checkName, checkSubresource, parseBody } from './parseBody.js';

/** 409 for a stale resourceVersion or another uid; 422 for a missing resourceVersion where one is required. */
function checkPreconditions(
  type: ResourceType,
  existing: KubeObject,
  incoming: KubeObject,
  requireRv: boolean,
): void {
  const name = existing.metadata.name!;
  const rv = incoming.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) {
    throw conflict(
      type.group,
      type.plural,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  if ((rv === undefined || rv === '') && requireRv && !type.allowUnconditionalUpdate) {
    throw invalid(type.kind, type.group, name, [
      {
        field: 'metadata.resourceVersion',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: 0x0: must be specified for an update',
      },
    ]);
  }
  const uid = incoming.metadata.uid;
  if (uid !== undefined && uid !== '' && uid !== existing.metadata.uid) {
    throw conflict(
      type.group,
      type.plural,
      name,
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid}`,
    );
  }
}

/**
 * The object to store, in storage form: through `/status` the stored object with the new
 * status; otherwise the request with the stored status (kinds with a status subresource, CRDs).
 */
function mergeRequest(
  ctx: CoreContext,
  scope: Scope,
  existing: KubeObject,
  incoming: KubeObject,
  subresource: string | undefined,
): KubeObject {
  const type = scope.type;
  const converted = toStorage(type, scope.version, incoming);
  if (subresource === 'status') {
    const next: KubeObject = { ...structuredClone(existing), status: structuredClone(converted.status) };
    if (next.status === undefined) delete next.status;
    return next;
  }
  const next = converted;
  next.metadata = { ...incoming.metadata };
  if (type.hasStatus) {
    if (existing.status === undefined) delete next.status;
    else next.status = structuredClone(existing.status);
  }
  if (ctx.isCrdType(type)) next.status = structuredClone(existing.status);
  return next;
}

/** Metadata only the server writes comes from the stored object. */
function keepServerMeta(md: KubeObject['metadata'], old: KubeObject['metadata']): void {
  md.name = old.name;
  if (old.namespace !== undefined) md.namespace = old.namespace;
  else delete md.namespace;
  md.uid = old.uid;
  md.creationTimestamp = old.creationTimestamp;
  if (old.deletionTimestamp) {
    md.deletionTimestamp = old.deletionTimestamp;
    md.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  } else {
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
  }
  delete md.managedFields;
  delete md.selfLink;
  md.resourceVersion = old.resourceVersion;
}

/** A namespace's spec changes only through `/finalize`; a service keeps its cluster IPs when the request omits them. */
function keepServerSpec(
  type: ResourceType,
  next: KubeObject,
  existing: KubeObject,
  subresource: string | undefined,
): void {
  if (type.group !== '') return;
  if (type.plural === 'namespaces' && subresource !== 'finalize') next.spec = structuredClone(existing.spec);
  if (type.plural === 'services' && isMap(next.spec) && isMap(existing.spec)) {
    next.spec.clusterIP ??= existing.spec.clusterIP;
    next.spec.clusterIPs ??= existing.spec.clusterIPs;
  }
}

/** `metadata.generation` goes up only when the spec (everything but metadata and status) changes. */
function bumpGeneration(type: ResourceType, next: KubeObject, existing: KubeObject): void {
  if (!type.hasGeneration) return;
  const old = existing.metadata;
  next.metadata.generation = old.generation ?? 1;
  if (specPart(next) !== specPart(existing)) next.metadata.generation = (old.generation ?? 0) + 1;
}

/** Stores an updated object, or removes it when it was being deleted and nothing holds it any more. */
async function storeUpdate(
  ctx: CoreContext,
  scope: Scope,
  next: KubeObject,
  existing: KubeObject,
  options: WriteOptions,
): Promise<KubeObject> {
  // A no-op write keeps the resourceVersion and sends no watch event, as the apiserver does.
  if (JSON.stringify(next) === JSON.stringify(existing)) return ctx.served(scope, existing);
  if (options.dryRun) return ctx.served(scope, next);
  if (readyToRemove(scope.type, next)) return ctx.served(scope, await ctx.removeStored(scope.type, next));
  const stored = await ctx.write(scope.type, next);
  if (ctx.isCrdType(scope.type)) ctx.serveCrd(stored);
  return ctx.served(scope, stored);
}

/** The common tail of update and patch: merges, validates, stores. */
export async function applyUpdate(
  ctx: CoreContext,
  scope: Scope,
  existing: KubeObject,
  incoming: KubeObject,
  options: WriteOptions,
  subresource: string | undefined,
  requireRv: boolean,
): Promise<KubeObject> {
  const type = scope.type;
  checkPreconditions(type, existing, incoming, requireRv);
  const next = mergeRequest(ctx, scope, existing, incoming, subresource);
  keepServerMeta(next.metadata, existing.metadata);
  keepServerSpec(type, next, existing, subresource);
  normalizeMeta(next.metadata);
  defaultAll(next, type, scope.version);
  validateAll(next, type, scope.version, options, await builtinSchema(type, scope.version));
  validateTransition(scope, next, existing, subresource);
  if (ctx.isCrdType(type)) checkCrdConflicts(ctx.registry, next, existing);
  checkNoNewFinalizers(type, next, existing);
  bumpGeneration(type, next, existing);
  const md = next.metadata;
  if (Array.isArray(md.finalizers) && md.finalizers.length === 0) delete md.finalizers;
  if (ctx.isCrdType(type)) next.status = crdStatusOnUpdate(next, existing, ctx.now());
  admitWrite(ctx, scope, 'UPDATE', next, existing, { ...options, subresource });
  return storeUpdate(ctx, scope, next, existing, options);
}

/** `PUT`: replaces an object (or its status) with the request body. */
export async function updateObject(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  body: unknown,
  options: WriteOptions,
  subresource?: string,
): Promise<KubeObject> {
  checkSubresource(scope, subresource);
  const incoming = parseBody(scope, body, {
    options,
    schema: await builtinSchema(scope.type, scope.version),
  });
  checkName(scope, name, incoming);
  const existing = ctx.getStored(scope, name);
  return applyUpdate(ctx, scope, existing, incoming, options, subresource, true);
}

/** A controller's write of a stored object: no validation, no resourceVersion check. */
export async function systemUpdate(ctx: CoreContext, type: ResourceType, obj: KubeObject): Promise<void> {
  const existing = ctx.store.get(ctx.storageKey(type), objectKey(obj.metadata.namespace, obj.metadata.name!));
  if (!existing) return;
  if (readyToRemove(type, obj)) {
    await ctx.removeStored(type, obj);
    return;
  }
  if (JSON.stringify(obj) === JSON.stringify(existing.obj)) return;
  await ctx.write(type, obj);
}
