// SPDX-License-Identifier: Apache-2.0
// What one reconcile of a workflow node works on: the node, its workflow, the status being
// computed, and Chaos Mesh's reconciler names for the Events.
import type { EventRecorder } from '@chaosplane/engine';
import { LABEL_CONTROLLED_BY } from '../api/constants.js';
import type { Workflow, WorkflowNode, WorkflowNodeStatus } from '../api/objects.js';
import type { OrchestrationDeps } from '../runtime/deps.js';
import { isControlledBy } from '../runtime/ownerReference.js';

/** One reconcile of one node. */
export interface NodePass {
  deps: OrchestrationDeps;
  node: WorkflowNode;
  workflow: Workflow | undefined;
  now: number;
  signal: AbortSignal;
  /** The status this pass writes (starts as the node's). */
  status: WorkflowNodeStatus;
  /** True once the node is finished (after the deadline and abort steps). */
  finished: boolean;
}

/** Chaos Mesh's reconciler names, the Events' source components. */
export type Reconciler =
  | 'workflow-entry-reconciler'
  | 'workflow-serial-node-reconciler'
  | 'workflow-parallel-node-reconciler'
  | 'workflow-deadline-reconciler'
  | 'workflow-chaos-node-reconciler'
  | 'workflow-task-reconciler'
  | 'workflow-statuscheck-reconciler'
  | 'workflow-abort-node-reconciler'
  | 'workflow-abort-workflow-reconciler';

/** The recorder of `reconciler`. */
export function eventsOf(pass: { deps: OrchestrationDeps }, reconciler: Reconciler): EventRecorder {
  return pass.deps.events(reconciler);
}

/** The child nodes of `node`, oldest first. */
export function childNodes(deps: OrchestrationDeps, node: WorkflowNode): WorkflowNode[] {
  return deps.caches.nodes
    .list(node.metadata.namespace, { [LABEL_CONTROLLED_BY]: node.metadata.name ?? '' })
    .filter(child => isControlledBy(child, node) && !child.metadata.deletionTimestamp)
    .sort(
      (a, b) =>
        Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
}
