// SPDX-License-Identifier: Apache-2.0
/** `POST pods/NAME/binding`: assigns a pod to a node, as the scheduler does. */
import { KubeEmulatorError, conflict, invalid } from '../errors.js';
import { type JsonObject, isMap } from '../types.js';
import { type Scope, type WriteOptions } from './apiTypes.js';
import { type CoreContext } from './coreContext.js';

/** A pod status with its PodScheduled condition replaced by a true one. */
function scheduledStatus(current: unknown, now: string): JsonObject {
  const status = isMap(current) ? current : {};
  const conditions = Array.isArray(status.conditions)
    ? status.conditions.filter(c => !(isMap(c) && c.type === 'PodScheduled'))
    : [];
  conditions.push({
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: now,
  });
  return { ...status, conditions };
}

/** Binds a pod to `body.target.name`; 409 when it is bound already or being deleted. */
export async function bindPod(
  ctx: CoreContext,
  scope: Scope,
  name: string,
  body: unknown,
  options: WriteOptions,
): Promise<void> {
  if (!(scope.type.group === '' && scope.type.plural === 'pods')) {
    throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
  }
  const target = isMap(body) && isMap(body.target) ? body.target : undefined;
  if (!target || typeof target.name !== 'string' || target.name === '') {
    throw invalid('Binding', '', name, [
      { field: 'target.name', type: 'FieldValueRequired', detail: 'Required value' },
    ]);
  }
  const existing = ctx.getStored(scope, name);
  const spec = isMap(existing.spec) ? existing.spec : {};
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    throw conflict('', 'pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
  }
  if (existing.metadata.deletionTimestamp) {
    throw conflict('', 'pods', name, `pod ${name} is being deleted, cannot be assigned to a host`);
  }
  if (options.dryRun) return;
  const next = structuredClone(existing);
  (next.spec as JsonObject).nodeName = target.name;
  next.status = scheduledStatus(next.status, ctx.now());
  await ctx.write(scope.type, next);
}
