// SPDX-License-Identifier: Apache-2.0
// Conditions of workflow nodes: set one, read one, and when a node is finished (Chaos Mesh's
// WorkflowNodeFinished: Accomplished, DeadlineExceed or Aborted is True).
import { NODE_ABORTED, NODE_ACCOMPLISHED, NODE_DEADLINE_EXCEED } from '../api/constants.js';
import type { NodeCondition, WorkflowNode } from '../api/objects.js';

/** `conditions` with `type` set to `status`/`reason` (replaced in place, or appended). */
export function withCondition(
  conditions: readonly NodeCondition[] | undefined,
  type: string,
  status: NodeCondition['status'],
  reason: string,
): NodeCondition[] {
  const list = [...(conditions ?? [])];
  const at = list.findIndex(c => c.type === type);
  const next = { type, status, reason };
  if (at >= 0) list[at] = next;
  else list.push(next);
  return list;
}

/** Whether condition `type` is True. */
export function isTrue(conditions: readonly NodeCondition[] | undefined, type: string): boolean {
  return conditions?.some(c => c.type === type && c.status === 'True') ?? false;
}

/** Whether a node is finished. */
export function isNodeFinished(node: WorkflowNode): boolean {
  const conditions = node.status?.conditions;
  return (
    isTrue(conditions, NODE_ACCOMPLISHED) ||
    isTrue(conditions, NODE_DEADLINE_EXCEED) ||
    isTrue(conditions, NODE_ABORTED)
  );
}
