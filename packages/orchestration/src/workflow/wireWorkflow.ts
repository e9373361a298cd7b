// SPDX-License-Identifier: Apache-2.0
// The workflow controllers: one over Workflows (entry node, abort, status), one over
// WorkflowNodes (everything else), each fed by the changes that concern it.
import type { ExtensionContext } from '@chaosplane/engine';
import { LABEL_WORKFLOW } from '../api/constants.js';
import type { KubeObject } from '../api/objects.js';
import { createController, type Controller } from '../runtime/createController.js';
import { keyOfObject, type OrchestrationDeps } from '../runtime/deps.js';
import { reconcileNode } from './reconcileNode.js';
import { reconcileWorkflow } from './reconcileWorkflow.js';

/** Creates the two workflow controllers and subscribes them to their collections. */
export function wireWorkflow(deps: OrchestrationDeps, context: ExtensionContext): Controller[] {
  const base = { clock: deps.clock, log: context.log, stopping: context.stopping };
  const workflows = createController({
    ...base,
    name: 'workflow',
    reconcile: (key, signal) => reconcileWorkflow(deps, key, signal),
  });
  const nodes = createController({
    ...base,
    name: 'workflownode',
    workers: 4,
    reconcile: (key, signal) => reconcileNode(deps, key, signal),
  });
  /** The node that owns `obj` (its parent node, for a node). */
  const toOwnerNode = (obj: KubeObject) => {
    for (const ref of obj.metadata.ownerReferences ?? [])
      if (ref.kind === 'WorkflowNode') nodes.enqueue(`${obj.metadata.namespace}/${ref.name}`);
  };
  deps.caches.workflows.onChange(obj => workflows.enqueue(keyOfObject(obj)));
  deps.caches.nodes.onChange(obj => {
    nodes.enqueue(keyOfObject(obj));
    toOwnerNode(obj);
    const workflow = obj.metadata.labels?.[LABEL_WORKFLOW];
    if (workflow) workflows.enqueue(`${obj.metadata.namespace}/${workflow}`);
  });
  for (const cache of [
    ...deps.caches.chaos.values(),
    deps.caches.schedules,
    deps.caches.statusChecks,
    deps.caches.pods,
  ])
    cache.onChange(toOwnerNode);
  return [workflows, nodes];
}
