// SPDX-License-Identifier: Apache-2.0
/**
 * `PATCH` with a JSON patch, a merge patch, a strategic merge patch (built-in kinds only, 415
 * for custom resources as in the apiserver) or server-side apply (approximated as a merge patch
 * that creates what does not exist yet).
 */
import { KubeEmulatorError, badRequest, invalid, isNotFound } from '../errors.js';
import { applyJsonPatch, jsonPatchRefused } from '../patch/jsonPatch.js';
import { applyMergePatch } from '../patch/mergePatch.js';
import { goValue } from '../patch/goValue.js';
import { applyStrategicMergePatch } from '../patch/strategicMergePatch.js';
import { builtinSchema } from '../resources/builtinSchemas.js';
import { type KubeObject, isMap } from '../types.js';
import { type PatchType, type Scope, type WriteOptions } from './apiTypes.js';
import { type CoreContext } from './coreContext.js';
import { createObject } from './createObject.js';
import { type DecodeRefusal, checkName, checkSubresource, parseBody } from './parseBody.js';
import { applyUpdate } from './updateObject.js';

/** The patched document (served form in, served form out). */
function applyPatch(patchType: PatchType, current: KubeObject, patch: unknown, kind: string): unknown {
  switch (patchType) {
    case 'json':
      try {
        return applyJsonPatch(current, patch);
      } catch (error) {
        // The apiserver answers an operation that does not apply with a generic 422.
        if (KubeEmulatorError.is(error) && error.kind === 'Invalid') throw jsonPatchRefused(error);
        throw error;
      }
    case 'merge':
    case 'apply':
      if (!isMap(patch))
        throw badRequest(
          'the body of the request was in an unknown format: a merge patch must be a JSON object',
        );
      return applyMergePatch(current, patch);
    case 'strategic':
      return applyStrategicMergePatch(current, patch, kind);
  }
}

/** The stored object a patch applies to; undefined when server-side apply should create it. */
function patchTarget(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  patchType: PatchType,
  subresource: string | undefined,
): KubeObject | undefined {
  try {
    return ctx.getStored(scope, name);
  } catch (error) {
    // Server-side apply creates what does not exist yet.
    if (patchType === 'apply' && isNotFound(error) && subresource === undefined) return undefined;
    throw error;
  }
}

/**
 * A patch result that does not decode (a type error, or unknown fields with
 * fieldValidation=Strict): the apiserver's 422 on the field `patch`, whose value is the patched
 * JSON (JSON and merge patches) or the patch itself as Go prints a map (strategic merge).
 */
function patchRefusal(patchType: PatchType, patch: unknown, result: unknown): DecodeRefusal {
  const value = patchType === 'strategic' ? goValue(patch) : JSON.stringify(result);
  return detail =>
    invalid('', '', '', [
      {
        field: 'patch',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
      },
    ]);
}

/** Whether a patch names a resourceVersion (and is then conditional on it). */
function namesResourceVersion(
  patchType: PatchType,
  patch: unknown,
  incoming: KubeObject,
  existing: KubeObject,
): boolean {
  return patchType === 'json'
    ? incoming.metadata.resourceVersion !== existing.metadata.resourceVersion
    : isMap(patch) && isMap(patch.metadata) && 'resourceVersion' in patch.metadata;
}

/** Patches an object (or its status). */
export async function patchObject(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  patchType: PatchType,
  patch: unknown,
  options: WriteOptions,
  subresource?: string,
): Promise<KubeObject> {
  checkSubresource(scope, subresource);
  if (patchType === 'strategic' && !scope.type.strategicMerge) {
    throw new KubeEmulatorError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
    );
  }
  const existing = patchTarget(ctx, scope, name, patchType, subresource);
  if (!existing) return createObject(ctx, scope, patch, options);
  const result = applyPatch(patchType, ctx.served(scope, existing), patch, scope.type.kind);
  if (!isMap(result)) throw badRequest('the patch produced a value that is not an object');
  const incoming = parseBody(scope, result, {
    options,
    refuse: patchRefusal(patchType, patch, result),
    schema: await builtinSchema(scope.type, scope.version),
  });
  checkName(scope, name, incoming);
  // A patch that does not name a resourceVersion is unconditional.
  if (!namesResourceVersion(patchType, patch, incoming, existing))
    incoming.metadata.resourceVersion = existing.metadata.resourceVersion;
  return applyUpdate(ctx, scope, existing, incoming, options, subresource, false);
}
