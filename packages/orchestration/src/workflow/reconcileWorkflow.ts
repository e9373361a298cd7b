// SPDX-License-Identifier: Apache-2.0
// A Workflow (Chaos Mesh's entry and abort-workflow reconcilers): its entry node, created once;
// the abort annotation passed to the entry node; and the status: entryNode, startTime,
// Scheduled, Accomplished (when the entry node finished, whether by success, deadline or abort)
// with endTime. Chaosplane adds an Aborted condition, so an aborted run reads as such.
import { formatViolations } from '@chaosplane/engine';
import { ABORT_ANNOTATION, LABEL_CONTROLLED_BY, LABEL_WORKFLOW, NODE_ABORTED } from '../api/constants.js';
import type { Workflow, WorkflowCondition, WorkflowNode, WorkflowStatus } from '../api/objects.js';
import { rfc3339, type OrchestrationDeps } from '../runtime/deps.js';
import { isControlledBy } from '../runtime/ownerReference.js';
import { isNodeFinished, isTrue, withCondition } from './conditions.js';
import { renderNode, templateOf } from './renderNode.js';

const ENTRY = 'workflow-entry-reconciler';

/** The entry node of a workflow, creating it when there is none. */
async function ensureEntry(
  deps: OrchestrationDeps,
  workflow: Workflow,
  signal: AbortSignal,
): Promise<WorkflowNode | undefined> {
  const name = workflow.metadata.name ?? '';
  const existing = deps.caches.nodes
    .list(workflow.metadata.namespace, { [LABEL_CONTROLLED_BY]: name, [LABEL_WORKFLOW]: name })
    .find(node => isControlledBy(node, workflow));
  if (existing) return existing;
  const events = deps.events(ENTRY);
  let entry: WorkflowNode;
  try {
    entry = renderNode(
      deps,
      workflow,
      templateOf(workflow, workflow.spec!.entry),
      workflow,
      `${workflow.metadata.uid}/entry`,
    );
  } catch {
    events.emit(
      workflow,
      'Warning',
      'InvalidEntry',
      `failed to spawn new entry node of workflow, entry: ${workflow.spec?.entry}`,
    );
    return undefined;
  }
  const created = await deps.writes.create(deps.caches.nodes, entry, signal);
  if (created)
    events.emit(workflow, 'Normal', 'EntryCreated', `entry node created, entry node ${entry.metadata.name}`);
  return created ?? deps.caches.nodes.get(`${entry.metadata.namespace}/${entry.metadata.name}`) ?? entry;
}

/** Passes the abort annotation to the entry node. */
async function abortEntry(
  deps: OrchestrationDeps,
  workflow: Workflow,
  entry: WorkflowNode,
  signal: AbortSignal,
) {
  if (
    workflow.metadata.annotations?.[ABORT_ANNOTATION] !== 'true' ||
    isTrue(entry.status?.conditions, NODE_ABORTED)
  )
    return;
  const key = `${entry.metadata.namespace}/${entry.metadata.name}`;
  const written = await deps.writes.update(
    deps.caches.nodes,
    key,
    'status',
    fresh =>
      isTrue(fresh.status?.conditions, NODE_ABORTED)
        ? undefined
        : {
            ...fresh,
            status: {
              ...fresh.status,
              conditions: withCondition(fresh.status?.conditions, NODE_ABORTED, 'True', 'WorkflowAborted'),
            },
          },
    signal,
  );
  if (written)
    deps
      .events('workflow-abort-workflow-reconciler')
      .emit(
        entry,
        'Normal',
        'WorkflowAborted',
        `abort the node because workflow ${workflow.metadata.name} aborted`,
      );
}

/** Whether the workflow was aborted (by hand, or by a status check through its entry node). */
function isAborted(workflow: Workflow, entry: WorkflowNode | undefined): boolean {
  if (workflow.metadata.annotations?.[ABORT_ANNOTATION] === 'true') return true;
  return entry !== undefined && isTrue(entry.status?.conditions, NODE_ABORTED);
}

/** Scheduled, Accomplished and (Chaosplane's) Aborted. */
function workflowConditions(
  current: WorkflowStatus,
  entry: WorkflowNode | undefined,
  aborted: boolean,
): WorkflowCondition[] {
  const finished = entry !== undefined && isNodeFinished(entry);
  let conditions: WorkflowCondition[] = withCondition(
    current.conditions,
    'Scheduled',
    entry ? 'True' : 'False',
    '',
  );
  conditions = withCondition(conditions, 'Accomplished', finished ? 'True' : 'False', '');
  if (aborted) conditions = withCondition(conditions, NODE_ABORTED, 'True', 'WorkflowAborted');
  else if (current.conditions?.some(c => c.type === NODE_ABORTED))
    conditions = withCondition(conditions, NODE_ABORTED, 'False', '');
  return conditions;
}

/** The status a workflow should have with `entry`. */
function desiredStatus(
  deps: OrchestrationDeps,
  workflow: Workflow,
  entry: WorkflowNode | undefined,
): WorkflowStatus {
  const current = workflow.status ?? {};
  const finished = entry !== undefined && isNodeFinished(entry);
  const { endTime: _endTime, ...rest } = current;
  const now = rfc3339(deps.clock.now());
  return {
    ...rest,
    startTime: current.startTime ?? now,
    ...(entry ? { entryNode: entry.metadata.name ?? '' } : {}),
    ...(finished ? { endTime: current.endTime ?? now } : {}),
    conditions: workflowConditions(current, entry, isAborted(workflow, entry)),
  };
}

/** Invalid specs are reported once per version and never run. */
const reported = new WeakMap<OrchestrationDeps, Map<string, string>>();

function reportInvalid(deps: OrchestrationDeps, workflow: Workflow): boolean {
  const violations = deps.validator.workflow(workflow.spec);
  if (violations.length === 0) return false;
  const seen = reported.get(deps) ?? new Map<string, string>();
  reported.set(deps, seen);
  if (seen.get(workflow.metadata.uid ?? '') !== workflow.metadata.resourceVersion) {
    seen.set(workflow.metadata.uid ?? '', workflow.metadata.resourceVersion ?? '');
    deps.events(ENTRY).emit(workflow, 'Warning', 'Failed', `invalid spec: ${formatViolations(violations)}`);
  }
  return true;
}

/** Reconciles the Workflow `key`. */
export async function reconcileWorkflow(
  deps: OrchestrationDeps,
  key: string,
  signal: AbortSignal,
): Promise<undefined> {
  const workflow = deps.caches.workflows.get(key);
  if (!workflow?.spec || workflow.metadata.deletionTimestamp) return undefined;
  if (reportInvalid(deps, workflow)) return undefined;
  const entry = await ensureEntry(deps, workflow, signal);
  if (entry) await abortEntry(deps, workflow, entry, signal);
  const status = desiredStatus(deps, workflow, entry);
  if (JSON.stringify(workflow.status ?? {}) === JSON.stringify(status)) return undefined;
  const accomplishedNow =
    isTrue(status.conditions, 'Accomplished') && !isTrue(workflow.status?.conditions, 'Accomplished');
  await deps.writes.update(
    deps.caches.workflows,
    key,
    'status',
    fresh => ({ ...fresh, status: desiredStatus(deps, fresh, entry) }),
    signal,
  );
  if (accomplishedNow)
    deps.events(ENTRY).emit(workflow, 'Normal', 'WorkflowAccomplished', 'workflow accomplished');
  return undefined;
}
