// SPDX-License-Identifier: Apache-2.0
/**
 * The `scale` subresource of Deployments: an autoscaling/v1 Scale made from the deployment
 * (spec.replicas, status.replicas, the selector as a string), which `kubectl scale` patches.
 * A write of it sets the deployment's spec.replicas, with the deployment's resourceVersion as
 * the precondition, and answers with the new Scale.
 */
import { KubeEmulatorError, badRequest, conflict, invalid, text } from '../errors.js';
import { applyJsonPatch, jsonPatchRefused } from '../patch/jsonPatch.js';
import { applyMergePatch } from '../patch/mergePatch.js';
import { applyStrategicMergePatch } from '../patch/strategicMergePatch.js';
import { type JsonObject, type KubeObject, isMap } from '../types.js';
import { type PatchType, type Scope, type WriteOptions } from './apiTypes.js';
import { type CoreContext } from './coreContext.js';
import { parseBody } from './parseBody.js';
import { applyUpdate } from './updateObject.js';

/** A label selector as the apiserver prints it: requirements sorted by key, `k=v`, `k in (a,b)`. */
function selectorString(selector: unknown): string {
  if (!isMap(selector)) return '';
  const parts: [string, string][] = [];
  if (isMap(selector.matchLabels))
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push([k, `${k}=${text(v)}`]);
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isMap) : []) {
    const key = text(e.key);
    const values = (Array.isArray(e.values) ? e.values.map(text) : []).sort().join(',');
    const shown: Record<string, string> = {
      In: `${key} in (${values})`,
      NotIn: `${key} notin (${values})`,
      Exists: key,
      DoesNotExist: `!${key}`,
    };
    parts.push([key, shown[text(e.operator)] ?? key]);
  }
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(p => p[1])
    .join(',');
}

/** The Scale of a deployment (in its served form). */
export function scaleOf(deployment: KubeObject): KubeObject {
  const spec = isMap(deployment.spec) ? deployment.spec : {};
  const status = isMap(deployment.status) ? deployment.status : {};
  const md = deployment.metadata;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const selector = selectorString(spec.selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: md.name,
      namespace: md.namespace,
      uid: md.uid,
      resourceVersion: md.resourceVersion,
      creationTimestamp: md.creationTimestamp,
    },
    spec: replicas === 0 ? {} : { replicas },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      ...(selector ? { selector } : {}),
    },
  };
}

/** The replicas a Scale asks for; 400 for a body that is not a Scale, 422 below zero. */
function requestedReplicas(name: string, scale: unknown): { replicas: number; resourceVersion?: string } {
  if (!isMap(scale)) throw badRequest('the body of the request was not a Scale');
  if (scale.kind !== undefined && scale.kind !== 'Scale')
    throw badRequest(`the kind in the data (${text(scale.kind)}) does not match the expected kind (Scale)`);
  const md: JsonObject = isMap(scale.metadata) ? scale.metadata : {};
  if (md.name !== undefined && md.name !== name)
    throw badRequest(
      `the name of the object (${text(md.name)}) does not match the name on the URL (${name})`,
    );
  const spec: JsonObject = isMap(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas))
    throw badRequest(
      `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`,
    );
  if (replicas < 0)
    throw invalid('Scale', 'autoscaling', name, [
      {
        field: 'spec.replicas',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${replicas}: must be greater than or equal to 0`,
      },
    ]);
  const rv = md.resourceVersion;
  return { replicas, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) };
}

/** Writes a Scale: the deployment's spec.replicas, conditional on a resourceVersion it names. */
export async function writeScale(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  scale: unknown,
  options: WriteOptions,
): Promise<KubeObject> {
  const existing = ctx.getStored(scope, name);
  const { replicas, resourceVersion } = requestedReplicas(name, scale);
  if (resourceVersion !== undefined && resourceVersion !== existing.metadata.resourceVersion)
    throw conflict(
      scope.type.group,
      scope.type.plural,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  const incoming = parseBody(scope, ctx.served(scope, existing));
  incoming.spec = { ...(isMap(incoming.spec) ? incoming.spec : {}), replicas };
  return scaleOf(await applyUpdate(ctx, scope, existing, incoming, options, undefined, false));
}

/** Patches a Scale (JSON, merge or strategic merge patch of the Scale, not of the deployment). */
export async function patchScale(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  patchType: PatchType,
  patch: unknown,
  options: WriteOptions,
): Promise<KubeObject> {
  const current = scaleOf(ctx.served(scope, ctx.getStored(scope, name)));
  let patched: unknown;
  if (patchType === 'json') {
    try {
      patched = applyJsonPatch(current, patch);
    } catch (error) {
      throw KubeEmulatorError.is(error) && error.kind === 'Invalid' ? jsonPatchRefused(error) : error;
    }
  } else if (patchType === 'strategic') patched = applyStrategicMergePatch(current, patch, 'Scale');
  else if (!isMap(patch))
    throw badRequest('the body of the request was in an unknown format: a merge patch must be a JSON object');
  else patched = applyMergePatch(current, patch);
  // The patched Scale keeps the current resourceVersion unless the patch changed it.
  return writeScale(ctx, scope, name, patched, options);
}
