// SPDX-License-Identifier: Apache-2.0
// Serial, Parallel and Task nodes: the children they spawn and when they are Accomplished.
// Serial spawns its children one at a time, in order; Parallel all at once; Task runs a pod,
// evaluates its branches from the pod's exit code and output, then spawns every selected one.
// Each child's name derives from this node's uid and the child's place, so a step that was
// spawned is never spawned twice, even by an operator restarted in the middle.
import {
  FOREGROUND_DELETION,
  LABEL_CONTROLLED_BY,
  LABEL_WORKFLOW,
  NODE_ACCOMPLISHED,
} from '../api/constants.js';
import type { BranchStatus, KubeObject, WorkflowNode } from '../api/objects.js';
import { generatedName } from '../runtime/generatedName.js';
import { controllerReference, isControlledBy } from '../runtime/ownerReference.js';
import { isNodeFinished, withCondition } from './conditions.js';
import { evaluateBranch } from './evaluateExpression.js';
import { childNodes, eventsOf, type NodePass, type Reconciler } from './nodePass.js';
import { renderNode, templateOf } from './renderNode.js';

/** Spawns the child of template `name` at place `seed` (AlreadyExists: it was spawned before). */
async function spawnChild(pass: NodePass, name: string, seed: string, reconciler: Reconciler): Promise<void> {
  const { deps, node, workflow } = pass;
  if (!workflow) return;
  const child = renderNode(deps, workflow, templateOf(workflow, name), node, `${node.metadata.uid}/${seed}`);
  if (await deps.writes.create(deps.caches.nodes, child, pass.signal))
    eventsOf(pass, reconciler).emit(
      node,
      'Normal',
      'NodesCreated',
      `child nodes created, ${child.metadata.name}`,
    );
}

/** activeChildren / finishedChildren from the children that exist. */
function childStatus(pass: NodePass, children: WorkflowNode[]): { finished: WorkflowNode[] } {
  const finished = children.filter(isNodeFinished);
  pass.status.activeChildren = children
    .filter(c => !isNodeFinished(c))
    .map(c => ({ name: c.metadata.name ?? '' }));
  pass.status.finishedChildren = finished.map(c => ({ name: c.metadata.name ?? '' }));
  return { finished };
}

/** Accomplished once `done` of `wanted` children finished. */
function accomplished(pass: NodePass, done: number, wanted: number, reconciler: Reconciler): void {
  const was = pass.status.conditions?.some(c => c.type === NODE_ACCOMPLISHED && c.status === 'True');
  const now = done >= wanted;
  pass.status.conditions = withCondition(
    pass.status.conditions,
    NODE_ACCOMPLISHED,
    now ? 'True' : 'False',
    '',
  );
  if (now && !was)
    eventsOf(pass, reconciler).emit(pass.node, 'Normal', 'NodeAccomplished', 'node accomplished');
}

/** Serial: the next child once none is running; Accomplished when every child finished. */
export async function reconcileSerial(pass: NodePass): Promise<void> {
  const wanted = pass.node.spec?.children ?? [];
  let children = childNodes(pass.deps, pass.node);
  let { finished } = childStatus(pass, children);
  const active = children.length - finished.length;
  if (!pass.finished && active === 0 && finished.length < wanted.length) {
    await spawnChild(
      pass,
      wanted[finished.length]!,
      String(finished.length),
      'workflow-serial-node-reconciler',
    );
    children = childNodes(pass.deps, pass.node);
    ({ finished } = childStatus(pass, children));
  }
  accomplished(pass, finished.length, wanted.length, 'workflow-serial-node-reconciler');
}

/** Parallel: every child at once; Accomplished when every child finished. */
export async function reconcileParallel(pass: NodePass): Promise<void> {
  const wanted = pass.node.spec?.children ?? [];
  if (!pass.finished && childNodes(pass.deps, pass.node).length < wanted.length) {
    for (const [i, name] of wanted.entries())
      await spawnChild(pass, name, String(i), 'workflow-parallel-node-reconciler');
  }
  const { finished } = childStatus(pass, childNodes(pass.deps, pass.node));
  accomplished(pass, finished.length, wanted.length, 'workflow-parallel-node-reconciler');
}

/** The task pod of a node. */
function taskPod(pass: NodePass): KubeObject | undefined {
  return pass.deps.caches.pods
    .list(pass.node.metadata.namespace, { [LABEL_CONTROLLED_BY]: pass.node.metadata.name ?? '' })
    .find(pod => isControlledBy(pod, pass.node));
}

/** Creates the task pod: the template's container and volumes, never restarted. */
async function spawnTaskPod(pass: NodePass): Promise<void> {
  const { deps, node } = pass;
  const task = node.spec?.task ?? {};
  const system = {
    [LABEL_CONTROLLED_BY]: node.metadata.name ?? '',
    [LABEL_WORKFLOW]: node.spec?.workflowName ?? '',
  };
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: generatedName(node.metadata.name ?? '', node.metadata.uid ?? ''),
      namespace: node.metadata.namespace!,
      // User labels that clash with the system keys are ignored.
      labels: { ...(task.labels ?? {}), ...system },
      ownerReferences: [controllerReference(node)],
      finalizers: [FOREGROUND_DELETION],
    },
    spec: {
      restartPolicy: 'Never',
      containers: [task.container],
      ...(task.volumes ? { volumes: task.volumes } : {}),
    },
  };
  const events = eventsOf(pass, 'workflow-task-reconciler');
  try {
    if (await deps.writes.create(deps.caches.pods, pod, pass.signal))
      events.emit(node, 'Normal', 'TaskPodSpawned', `pod ${pod.metadata.name} spawned for task`);
  } catch (error) {
    events.emit(node, 'Warning', 'TaskPodSpawnFailed', 'failed to create pod for task');
    throw error;
  }
}

interface PodStatus {
  phase?: string;
  containerStatuses?: { name: string; state?: { terminated?: { exitCode?: number } } }[];
}

/** Evaluates the branches once the pod has terminated: exit code and (trimmed) log. */
async function evaluateBranches(pass: NodePass, pod: KubeObject): Promise<void> {
  const { deps, node } = pass;
  const container = node.spec?.task?.container?.name ?? '';
  const status = (pod.status ?? {}) as PodStatus;
  const exitCode =
    status.containerStatuses?.find(s => s.name === container)?.state?.terminated?.exitCode ?? 0;
  const stdout = (
    await deps.readLog(pod.metadata.namespace ?? '', pod.metadata.name ?? '', container, pass.signal)
  ).trim();
  const env = { exitCode, stdout };
  const branches: BranchStatus[] = (node.spec?.conditionalBranches ?? []).map(b => ({
    target: b.target,
    evaluationResult: evaluateBranch(b.expression, env),
  }));
  pass.status.conditionalBranchesStatus = { branches, context: [JSON.stringify(env)] };
  const events = eventsOf(pass, 'workflow-task-reconciler');
  events.emit(node, 'Normal', 'TaskPodPodCompleted', `pod ${pod.metadata.name} for task node completed`);
  const selected = branches.filter(b => b.evaluationResult === 'True').map(b => b.target);
  events.emit(node, 'Normal', 'ConditionalBranchesSelected', `selected branches: [${selected.join(' ')}]`);
}

/** Whether every branch has a True or False result. */
function evaluated(pass: NodePass): boolean {
  const branches = pass.status.conditionalBranchesStatus?.branches;
  return (
    branches !== undefined &&
    branches.length === (pass.node.spec?.conditionalBranches ?? []).length &&
    branches.every(b => b.evaluationResult !== 'Unknown')
  );
}

/** Every branch Unknown: the pod has not terminated yet. */
function unknownBranches(pass: NodePass): void {
  pass.status.conditionalBranchesStatus = {
    branches: (pass.node.spec?.conditionalBranches ?? []).map(b => ({
      target: b.target,
      evaluationResult: 'Unknown',
    })),
  };
}

/** The pod step of a Task: spawn it, then evaluate the branches once it has terminated. */
async function taskPodStep(pass: NodePass): Promise<void> {
  if (evaluated(pass)) return;
  const pod = taskPod(pass);
  if (!pod) {
    if (!pass.finished) await spawnTaskPod(pass);
    unknownBranches(pass);
    return;
  }
  const phase = (pod.status as PodStatus | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') await evaluateBranches(pass, pod);
  else unknownBranches(pass);
}

/** Task: the pod, then its branches, then the selected children. */
export async function reconcileTask(pass: NodePass): Promise<void> {
  await taskPodStep(pass);
  if (!evaluated(pass)) {
    childStatus(pass, childNodes(pass.deps, pass.node));
    accomplished(pass, 0, 1, 'workflow-task-reconciler');
    return;
  }
  const targets = pass.status.conditionalBranchesStatus!.branches.flatMap((b, i) =>
    b.evaluationResult === 'True' ? [{ target: b.target, i }] : [],
  );
  if (!pass.finished && childNodes(pass.deps, pass.node).length < targets.length)
    for (const { target, i } of targets)
      await spawnChild(pass, target, `branch/${i}`, 'workflow-task-reconciler');
  const { finished } = childStatus(pass, childNodes(pass.deps, pass.node));
  accomplished(pass, finished.length, targets.length, 'workflow-task-reconciler');
}
