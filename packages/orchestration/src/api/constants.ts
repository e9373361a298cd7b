// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's names for the orchestration kinds: labels, annotations, condition types, kinds.

/** The label a Schedule puts on what it spawns: `managed-by=<schedule name>` (Chaos Mesh's key, verbatim). */
export const LABEL_MANAGED_BY = 'managed-by';
/** The label of what a workflow node (or the workflow, for its entry node) created. */
export const LABEL_CONTROLLED_BY = 'chaos-mesh.org/controlled-by';
/** The label of every object of one workflow. */
export const LABEL_WORKFLOW = 'chaos-mesh.org/workflow';
/** Aborts a workflow when `"true"` (set by hand, or by a failed StatusCheck with abortWithStatusCheck). */
export const ABORT_ANNOTATION = 'workflow.chaos-mesh.org/abort';
/** The finalizer Chaos Mesh puts on workflow nodes, task pods and status checks. */
export const FOREGROUND_DELETION = 'foregroundDeletion';

/** The kinds this package adds. */
export const SCHEDULE_KIND = 'Schedule';
export const WORKFLOW_KIND = 'Workflow';
export const WORKFLOW_NODE_KIND = 'WorkflowNode';
export const STATUS_CHECK_KIND = 'StatusCheck';

/** Workflow template types that are not chaos kinds. */
export const FLOW_TEMPLATE_TYPES = [
  'Task',
  'Serial',
  'Parallel',
  'Suspend',
  'StatusCheck',
  'Schedule',
] as const;

/** WorkflowNode condition types. */
export const NODE_ACCOMPLISHED = 'Accomplished';
export const NODE_DEADLINE_EXCEED = 'DeadlineExceed';
export const NODE_CHAOS_INJECTED = 'ChaosInjected';
export const NODE_ABORTED = 'Aborted';
