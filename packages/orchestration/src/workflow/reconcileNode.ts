// SPDX-License-Identifier: Apache-2.0
// One workflow node, as Chaos Mesh's node reconcilers do it in turn: the deadline (its own,
// checked on the engine's clock), then the node's type (children, a chaos object, a check, a
// pod), then what a finished Serial, Parallel or Task node passes down to its running children
// (a deadline or an abort), then the status, written once when it changed. Progress lives in
// the node objects and what they own, so a restarted operator picks up where it was.
import { LABEL_WORKFLOW, NODE_ABORTED, NODE_ACCOMPLISHED, NODE_DEADLINE_EXCEED } from '../api/constants.js';
import type { WorkflowNode, WorkflowNodeStatus } from '../api/objects.js';
import type { OrchestrationDeps } from '../runtime/deps.js';
import { isNodeFinished, isTrue, withCondition } from './conditions.js';
import { reconcileParallel, reconcileSerial, reconcileTask } from './flowNodes.js';
import { childNodes, eventsOf, type NodePass } from './nodePass.js';
import { reconcileChaosNode, reconcileStatusCheckNode } from './resourceNodes.js';

/** The deadline step: DeadlineExceed from the node's own deadline; returns when to look again. */
function deadlineStep(pass: NodePass): number | undefined {
  const deadline = pass.node.spec?.deadline ? Date.parse(pass.node.spec.deadline) : undefined;
  const conditions = pass.status.conditions;
  if (deadline === undefined || isTrue(conditions, NODE_DEADLINE_EXCEED)) return undefined;
  if (deadline > pass.now) {
    pass.status.conditions = withCondition(
      conditions,
      NODE_DEADLINE_EXCEED,
      'False',
      'NodeDeadlineNotExceed',
    );
    return deadline;
  }
  const omitted = isTrue(conditions, NODE_ACCOMPLISHED);
  pass.status.conditions = withCondition(
    conditions,
    NODE_DEADLINE_EXCEED,
    'True',
    omitted ? 'NodeDeadlineOmitted' : 'NodeDeadlineExceed',
  );
  if (!omitted)
    eventsOf(pass, 'workflow-deadline-reconciler').emit(
      pass.node,
      'Normal',
      'NodeDeadlineExceed',
      'deadline exceed',
    );
  return undefined;
}

/** The type step. */
async function typeStep(pass: NodePass): Promise<void> {
  switch (pass.node.spec?.type ?? '') {
    case 'Serial':
      return reconcileSerial(pass);
    case 'Parallel':
      return reconcileParallel(pass);
    case 'Task':
      return reconcileTask(pass);
    case 'Suspend':
      // A Suspend ends by its deadline alone.
      return;
    case 'StatusCheck':
      return reconcileStatusCheckNode(pass);
    default:
      return reconcileChaosNode(pass);
  }
}

/** Sets `type` True with `reason` on `child`, with its Event (re-applied on conflicts). */
async function markChild(pass: NodePass, child: WorkflowNode, type: string, reason: string, message: string) {
  const { deps } = pass;
  const key = `${child.metadata.namespace}/${child.metadata.name}`;
  const written = await deps.writes.update(
    deps.caches.nodes,
    key,
    'status',
    fresh =>
      isNodeFinished(fresh)
        ? undefined
        : {
            ...fresh,
            status: {
              ...fresh.status,
              conditions: withCondition(fresh.status?.conditions, type, 'True', reason),
            },
          },
    pass.signal,
  );
  const reconciler =
    type === NODE_ABORTED ? 'workflow-abort-node-reconciler' : 'workflow-deadline-reconciler';
  if (written) eventsOf(pass, reconciler).emit(child, 'Normal', reason, message);
}

/** What a Serial, Parallel or Task node passes to its running children: its deadline, its abort. */
async function propagate(pass: NodePass): Promise<void> {
  const type = pass.node.spec?.type;
  if (type !== 'Serial' && type !== 'Parallel' && type !== 'Task') return;
  const conditions = pass.status.conditions;
  const deadline = isTrue(conditions, NODE_DEADLINE_EXCEED);
  const aborted = isTrue(conditions, NODE_ABORTED);
  if (!deadline && !aborted) return;
  const name = pass.node.metadata.name ?? '';
  for (const child of childNodes(pass.deps, pass.node).filter(c => !isNodeFinished(c))) {
    if (aborted)
      await markChild(
        pass,
        child,
        NODE_ABORTED,
        'ParentNodeAborted',
        `abort the node because parent node ${name} aborted`,
      );
    else
      await markChild(
        pass,
        child,
        NODE_DEADLINE_EXCEED,
        'ParentNodeDeadlineExceed',
        `deadline exceed bscause parent node ${name} deadline exceed`,
      );
  }
}

const sameStatus = (a: WorkflowNodeStatus | undefined, b: WorkflowNodeStatus) =>
  JSON.stringify(a ?? {}) === JSON.stringify(b);

/** Reconciles the node `key`; resolves to when it must run again (its deadline). */
export async function reconcileNode(
  deps: OrchestrationDeps,
  key: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const node = deps.caches.nodes.get(key);
  if (!node?.spec || node.metadata.deletionTimestamp) return undefined;
  const workflowName = node.metadata.labels?.[LABEL_WORKFLOW] ?? node.spec.workflowName;
  const pass: NodePass = {
    deps,
    node,
    workflow: deps.caches.workflows.get(`${node.metadata.namespace}/${workflowName}`),
    now: deps.clock.now(),
    signal,
    status: structuredClone(node.status ?? {}),
    finished: false,
  };
  const requeueAt = deadlineStep(pass);
  pass.finished = isNodeFinished({ ...node, status: pass.status });
  await typeStep(pass);
  pass.finished = isNodeFinished({ ...node, status: pass.status });
  // A node that just finished deletes what it owns in this same pass.
  if (
    pass.finished &&
    !isNodeFinished(node) &&
    !['Serial', 'Parallel', 'Task', 'Suspend'].includes(node.spec.type)
  )
    await typeStep(pass);
  if (!sameStatus(node.status, pass.status)) {
    const status = pass.status;
    await deps.writes.update(
      deps.caches.nodes,
      key,
      'status',
      fresh => {
        // Conditions set meanwhile by a parent (a deadline, an abort) are kept.
        let conditions = status.conditions;
        for (const c of fresh.status?.conditions ?? [])
          if (
            c.status === 'True' &&
            (c.type === NODE_ABORTED || c.type === NODE_DEADLINE_EXCEED) &&
            !isTrue(conditions, c.type)
          )
            conditions = withCondition(conditions, c.type, 'True', c.reason);
        return { ...fresh, status: { ...status, ...(conditions ? { conditions } : {}) } };
      },
      signal,
    );
  }
  await propagate(pass);
  return requeueAt;
}
