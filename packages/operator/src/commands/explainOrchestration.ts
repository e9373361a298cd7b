// SPDX-License-Identifier: Apache-2.0
// `chaosplane explain` for Schedules and Workflows: the spec's violations, a Schedule's next
// five runs, a Workflow's template tree and, when it runs in the cluster, its node tree.
import { isNotFound, type KubeConnection } from '@chaosplane/kube';
import {
  createChaosKindTable,
  scheduleNextRuns,
  treeLines,
  workflowNodeTree,
  workflowTemplateTree,
  type NodeTree,
  type TemplateTree,
} from '@chaosplane/orchestration';
import type { ChaosKind, Violation } from '@chaosplane/sdk';
import { createOrchestrationValidator } from '@chaosplane/orchestration';

/** What the dry run found for a Schedule or a Workflow. */
export interface OrchestrationExplanation {
  kind: 'Schedule' | 'Workflow';
  namespace: string;
  name: string;
  violations: Violation[];
  /** A Schedule's next runs (RFC 3339). */
  nextRuns?: string[];
  /** A Workflow's templates from its entry. */
  templates?: TemplateTree;
  /** A running Workflow's nodes. */
  nodes?: NodeTree;
  /** Nothing is selected by a Schedule or Workflow itself (the shape of a chaos object's explanation). */
  selections: Record<string, never>;
}

/** Reads an object of the orchestration kinds; undefined when absent (or its CRD is). */
async function read<T>(kube: KubeConnection, path: string): Promise<T | undefined> {
  try {
    return await kube.request<T>('GET', path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Explains one Schedule or Workflow manifest (`obj`) against the cluster. */
export async function explainOrchestrationObject(
  kube: KubeConnection,
  kinds: readonly ChaosKind[],
  obj: { apiVersion: string; kind: 'Schedule' | 'Workflow'; metadata?: { name?: string }; spec?: unknown },
  namespace: string,
  now: number,
): Promise<OrchestrationExplanation> {
  const validator = createOrchestrationValidator(createChaosKindTable(kinds));
  const name = obj.metadata?.name ?? '';
  const base = `/apis/${obj.apiVersion}/namespaces/${namespace}`;
  const result: OrchestrationExplanation = {
    kind: obj.kind,
    namespace,
    name,
    violations: [],
    selections: {},
  };
  if (obj.kind === 'Schedule') {
    result.violations = validator.schedule(obj.spec);
    if (result.violations.length > 0) return result;
    const live = await read<Parameters<typeof scheduleNextRuns>[0]>(kube, `${base}/schedules/${name}`);
    const schedule = { ...(live ?? { metadata: {} }), spec: obj.spec } as Parameters<
      typeof scheduleNextRuns
    >[0];
    result.nextRuns = scheduleNextRuns(schedule, now).map(t => new Date(t).toISOString());
    return result;
  }
  result.violations = validator.workflow(obj.spec);
  const workflow = { ...obj, metadata: { name }, spec: obj.spec } as Parameters<
    typeof workflowTemplateTree
  >[0];
  const templates = workflowTemplateTree(workflow);
  if (templates) result.templates = templates;
  const live = await read<Parameters<typeof workflowNodeTree>[0]>(kube, `${base}/workflows/${name}`);
  if (live) {
    const list = await read<{ items: Parameters<typeof workflowNodeTree>[1] }>(kube, `${base}/workflownodes`);
    const nodes = (list?.items ?? []).filter(n => n.metadata.labels?.['chaos-mesh.org/workflow'] === name);
    const tree = workflowNodeTree(live, nodes);
    if (tree) result.nodes = tree;
  }
  return result;
}

/** The explanation of a Schedule or Workflow as lines for a terminal. */
export function formatOrchestration(result: OrchestrationExplanation): string[] {
  const lines = [`${result.kind} ${result.namespace}/${result.name}`];
  if (result.violations.length > 0) {
    lines.push(
      `  invalid, would never run: ${result.violations.map(v => `${v.field}: ${v.message}`).join('; ')}`,
    );
    if (result.kind === 'Schedule') return lines;
  }
  if (result.nextRuns) {
    lines.push('  next runs:');
    for (const run of result.nextRuns) lines.push(`    ${run}`);
  }
  if (result.templates) {
    lines.push('  templates:');
    const label = (t: TemplateTree & { when?: string }) =>
      `${t.name} (${t.type}${t.deadline ? `, deadline ${t.deadline}` : ''})${t.when !== undefined ? ` when ${t.when || 'always'}` : ''}`;
    for (const line of treeLines(result.templates, label)) lines.push(`    ${line}`);
  }
  if (result.nodes) {
    lines.push('  nodes:');
    for (const line of treeLines(result.nodes, n => `${n.name} (${n.type}) ${n.state}`))
      lines.push(`    ${line}`);
  }
  return lines;
}
