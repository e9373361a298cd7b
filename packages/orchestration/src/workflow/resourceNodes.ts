// SPDX-License-Identifier: Apache-2.0
// Nodes that own one object while they run: a chaos node its chaos object, a Schedule node a
// Schedule, a StatusCheck node a StatusCheck. The object is created while the node is not
// finished and deleted once it is (deleting a chaos object recovers it). A chaos or Schedule
// node ends only by its deadline (or a parent's, or an abort); a StatusCheck node when its
// check completes, aborting the workflow when it failed and abortWithStatusCheck is set.
import {
  ABORT_ANNOTATION,
  LABEL_CONTROLLED_BY,
  LABEL_WORKFLOW,
  NODE_ABORTED,
  NODE_ACCOMPLISHED,
  NODE_CHAOS_INJECTED,
} from '../api/constants.js';
import type { KubeObject, StatusCheck } from '../api/objects.js';
import { generatedName } from '../runtime/generatedName.js';
import { controllerReference, isControlledBy } from '../runtime/ownerReference.js';
import type { ResourceCache } from '../runtime/resourceCache.js';
import { isTrue, withCondition } from './conditions.js';
import { eventsOf, type NodePass, type Reconciler } from './nodePass.js';

/** The objects `cache` holds that this node created. */
function owned(pass: NodePass, cache: ResourceCache): KubeObject[] {
  return cache
    .list(pass.node.metadata.namespace, { [LABEL_CONTROLLED_BY]: pass.node.metadata.name ?? '' })
    .filter(obj => isControlledBy(obj, pass.node));
}

/** The object a node creates: its kind and spec, the node's labels and ownership. */
function ownedObject(
  pass: NodePass,
  apiVersion: string,
  kind: string,
  spec: unknown,
  finalizers?: string[],
): KubeObject {
  const { node } = pass;
  return {
    apiVersion,
    kind,
    metadata: {
      name: generatedName(node.metadata.name ?? '', node.metadata.uid ?? ''),
      namespace: node.metadata.namespace!,
      labels: {
        [LABEL_CONTROLLED_BY]: node.metadata.name ?? '',
        [LABEL_WORKFLOW]: node.spec?.workflowName ?? '',
      },
      ownerReferences: [controllerReference(node)],
      ...(finalizers ? { finalizers } : {}),
    },
    spec: structuredClone(spec),
  };
}

/** What differs between chaos, Schedule and StatusCheck nodes. */
interface Owned {
  cache: ResourceCache;
  object: () => KubeObject;
  reconciler: Reconciler;
  created: [reason: string, message: (name: string) => string];
  createFailed: [reason: string, message: (name: string) => string];
  deleted: [reason: string, message: (name: string) => string];
  deleteFailed: [reason: string, message: (name: string) => string];
}

/** Keeps exactly one owned object while the node runs, none once it finished. */
async function keepOne(pass: NodePass, spec: Owned): Promise<KubeObject[]> {
  const { deps, node } = pass;
  const events = eventsOf(pass, spec.reconciler);
  const existing = owned(pass, spec.cache);
  if (pass.finished) {
    for (const obj of existing.filter(o => !o.metadata.deletionTimestamp)) {
      const name = obj.metadata.name ?? '';
      try {
        await deps.writes.remove(spec.cache, obj, pass.signal);
        events.emit(node, 'Normal', spec.deleted[0], spec.deleted[1](name));
      } catch (error) {
        events.emit(node, 'Warning', spec.deleteFailed[0], spec.deleteFailed[1](name));
        throw error;
      }
    }
    return [];
  }
  if (existing.length > 0) return existing;
  const obj = spec.object();
  try {
    const created = await deps.writes.create(spec.cache, obj, pass.signal);
    if (created) events.emit(node, 'Normal', spec.created[0], spec.created[1](obj.metadata.name ?? ''));
    return [created ?? obj];
  } catch (error) {
    events.emit(node, 'Warning', spec.createFailed[0], spec.createFailed[1](obj.metadata.name ?? ''));
    throw error;
  }
}

/** A chaos node (any loaded kind) or a Schedule node. */
export async function reconcileChaosNode(pass: NodePass): Promise<void> {
  const { deps, node } = pass;
  const type = node.spec?.type ?? '';
  const isSchedule = type === 'Schedule';
  const entry = deps.table.byKind(type);
  const cache = isSchedule ? deps.caches.schedules : entry ? deps.caches.chaos.get(type) : undefined;
  if (!cache) return;
  const spec = isSchedule ? node.spec?.schedule : node.spec?.[entry!.field];
  const objects = await keepOne(pass, {
    cache: cache as ResourceCache,
    object: () => ownedObject(pass, deps.apiVersion, type, spec),
    reconciler: 'workflow-chaos-node-reconciler',
    created: ['ChaosCRCreated', name => `chaos CR ${name} created`],
    createFailed: ['ChaosCRCreateFailed', () => 'failed to create chaos CR'],
    deleted: ['ChaosCRDeleted', name => `chaos CR ${name} deleted`],
    deleteFailed: ['ChaosCRDeleteFailed', name => `chaos CR ${name} delete failed`],
  });
  const first = objects[0];
  if (first)
    pass.status.chaosResource = {
      apiGroup: deps.apiVersion.split('/')[0]!,
      kind: type,
      name: first.metadata.name ?? '',
    };
  pass.status.conditions = withCondition(
    pass.status.conditions,
    NODE_CHAOS_INJECTED,
    first ? 'True' : 'False',
    first ? 'ChaosCRCreated' : 'ChaosCRNotExists',
  );
}

/** A StatusCheck node: Accomplished when its check completes; Aborted when it failed and should abort. */
export async function reconcileStatusCheckNode(pass: NodePass): Promise<void> {
  const { deps, node } = pass;
  const objects = await keepOne(pass, {
    cache: deps.caches.statusChecks as ResourceCache,
    object: () => ownedObject(pass, deps.apiVersion, 'StatusCheck', node.spec?.statusCheck),
    reconciler: 'workflow-statuscheck-reconciler',
    created: ['StatusCheckCreated', name => `status check ${name} created`],
    createFailed: ['StatusCheckCreatedFailed', name => `status check ${name} create failed`],
    deleted: ['StatusCheckDeleted', name => `status check ${name} deleted`],
    deleteFailed: ['StatusCheckDeletedFailed', name => `status check ${name} delete failed`],
  });
  const check = objects[0] as StatusCheck | undefined;
  if (!check) return;
  const conditions = check.status?.conditions as { type: string; status: string }[] | undefined;
  const completed = isTrue(conditions as never, 'Completed');
  pass.status.conditions = withCondition(
    pass.status.conditions,
    NODE_ACCOMPLISHED,
    completed ? 'True' : 'False',
    completed ? 'StatusCheckCompleted' : '',
  );
  if (
    node.spec?.abortWithStatusCheck &&
    completed &&
    !isTrue(conditions as never, 'SuccessThresholdExceed')
  ) {
    pass.status.conditions = withCondition(
      pass.status.conditions,
      NODE_ABORTED,
      'True',
      'StatusCheckNotExceedSuccessThreshold',
    );
    await abortWorkflow(pass);
  }
}

/** Sets the abort annotation on the node's workflow (Chaos Mesh's abort-node reconciler). */
export async function abortWorkflow(pass: NodePass): Promise<void> {
  const { deps, workflow } = pass;
  if (!workflow || workflow.metadata.annotations?.[ABORT_ANNOTATION] === 'true') return;
  await deps.writes.patch(
    deps.caches.workflows,
    workflow,
    { metadata: { annotations: { [ABORT_ANNOTATION]: 'true' } } },
    pass.signal,
  );
}
