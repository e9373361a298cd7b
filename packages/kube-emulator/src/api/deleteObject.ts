// SPDX-License-Identifier: Apache-2.0
/**
 * `DELETE`: preconditions, then either removal or, while finalizers (or the `orphan` and
 * `foregroundDeletion` finalizers a propagation policy adds) remain, a deletionTimestamp that
 * the controllers and clients act on. Also the collection delete and the controllers' delete.
 */
import { conflict, isNotFound } from '../errors.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';
import { type DeleteOptions, type Scope } from './apiTypes.js';
import { admitWrite } from './admission.js';
import { type CoreContext } from './coreContext.js';
import { isNamespaceType, specFinalizers } from './objectMeta.js';

/** 409 when the preconditions name another uid or resourceVersion. */
function checkDeletePreconditions(
  type: ResourceType,
  existing: KubeObject,
  name: string,
  pre: DeleteOptions['preconditions'],
): void {
  if (pre?.uid !== undefined && pre.uid !== existing.metadata.uid) {
    throw conflict(
      type.group,
      type.plural,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(
      type.group,
      type.plural,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
    );
  }
}

/** The object's finalizers plus the one its propagation policy adds (`orphan`, `foregroundDeletion`). */
function finalizersAfterDelete(existing: KubeObject, policy: DeleteOptions['propagationPolicy']): string[] {
  const finalizers = [...(existing.metadata.finalizers ?? [])];
  if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
    finalizers.push('foregroundDeletion');
  return finalizers;
}

/** A copy marked for deletion (a namespace also turns `Terminating`). */
function markDeleting(
  type: ResourceType,
  existing: KubeObject,
  finalizers: string[],
  now: string,
): KubeObject {
  const next = structuredClone(existing);
  next.metadata.finalizers = finalizers.length > 0 ? finalizers : undefined;
  if (next.metadata.finalizers === undefined) delete next.metadata.finalizers;
  next.metadata.deletionTimestamp ??= now;
  next.metadata.deletionGracePeriodSeconds ??= 0;
  if (isNamespaceType(type))
    next.status = { ...(isMap(next.status) ? next.status : {}), phase: 'Terminating' };
  return next;
}

/** Deletes an object; returns it as it is after the call and whether it is gone. */
export async function deleteObject(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  options: DeleteOptions,
): Promise<{ obj: KubeObject; gone: boolean }> {
  const type = scope.type;
  const existing = ctx.getStored(scope, name);
  checkDeletePreconditions(type, existing, name, options.preconditions);
  admitWrite(ctx, scope, 'DELETE', null, existing, options);
  const finalizers = finalizersAfterDelete(existing, options.propagationPolicy);
  if (finalizers.length === 0 && specFinalizers(type, existing).length === 0) {
    if (options.dryRun) return { obj: ctx.served(scope, existing), gone: true };
    const removed = await ctx.removeStored(type, existing);
    return { obj: ctx.served(scope, removed), gone: true };
  }
  // Already being deleted, and the policy adds no finalizer: nothing to write.
  if (
    existing.metadata.deletionTimestamp &&
    finalizers.length === (existing.metadata.finalizers ?? []).length
  ) {
    return { obj: ctx.served(scope, existing), gone: false };
  }
  const next = markDeleting(type, existing, finalizers, ctx.now());
  if (options.dryRun) return { obj: ctx.served(scope, next), gone: false };
  const stored = await ctx.write(type, next);
  return { obj: ctx.served(scope, stored), gone: false };
}

/** Deletes listed objects (a collection delete); ones already gone are skipped. */
export async function deleteItems(
  ctx: CoreContext,
  scope: Scope,
  items: KubeObject[],
  options: DeleteOptions,
): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const item of items) {
    try {
      const s = { ...scope, namespace: item.metadata.namespace };
      out.push((await deleteObject(ctx, s, item.metadata.name!, options)).obj);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return out;
}

/** A controller's delete, honouring finalizers; an object already gone is no error. */
export async function systemDelete(
  ctx: CoreContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  policy?: DeleteOptions['propagationPolicy'],
): Promise<void> {
  const scope: Scope = { type, version: type.versions[0] ?? type.storageVersion, namespace };
  try {
    await deleteObject(ctx, scope, name, policy ? { propagationPolicy: policy } : {});
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
