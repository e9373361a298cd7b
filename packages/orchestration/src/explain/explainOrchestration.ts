// SPDX-License-Identifier: Apache-2.0
// What `chaosplane explain` says about orchestration objects: a Schedule's next runs, a
// Workflow's template tree, and, once it runs, the tree of its WorkflowNodes with where each is.
import type { Schedule, Workflow, WorkflowNode } from '../api/objects.js';
import { parseCronSchedule } from '../cron/parseCronSchedule.js';
import { LABEL_CONTROLLED_BY } from '../api/constants.js';
import { isTrue } from '../workflow/conditions.js';

/**
 * The next `count` runs of a schedule after `now` (ms since the epoch), counted from its last
 * run (`status.time`, else its creation, else now), as the controller counts them.
 */
export function scheduleNextRuns(schedule: Schedule, now: number, count = 5): number[] {
  const parsed = parseCronSchedule(schedule.spec!.schedule);
  const last = Date.parse(schedule.status?.time ?? schedule.metadata.creationTimestamp ?? '');
  let at = Number.isNaN(last) ? now : last;
  // Catch up with now (an @every keeps its rhythm from the last run).
  for (let i = 0; i < 100_000; i += 1) {
    const next = parsed.next(at);
    if (next === undefined || next > now) break;
    at = next;
  }
  const runs: number[] = [];
  while (runs.length < count) {
    const next = parsed.next(at);
    if (next === undefined) break;
    runs.push(next);
    at = next;
  }
  return runs;
}

/** A template and what it runs next, as a tree from the entry. */
export interface TemplateTree {
  name: string;
  type: string;
  deadline?: string;
  /** Serial/Parallel children; a Task's branch targets (with their expressions). */
  children: (TemplateTree & { when?: string })[];
}

/** The template tree of a workflow from its entry (a template met again on its own path is cut). */
export function workflowTemplateTree(workflow: Workflow): TemplateTree | undefined {
  const templates = new Map((workflow.spec?.templates ?? []).map(t => [t.name, t]));
  const build = (name: string, path: string[]): TemplateTree | undefined => {
    const template = templates.get(name);
    if (!template) return undefined;
    const next = [
      ...(template.children ?? []).map(child => ({ name: child, when: undefined })),
      ...(template.conditionalBranches ?? []).map(b => ({ name: b.target, when: b.expression ?? '' })),
    ];
    const children = path.includes(name)
      ? []
      : next.flatMap(({ name: child, when }) => {
          const tree = build(child, [...path, name]);
          return tree ? [{ ...tree, ...(when !== undefined ? { when } : {}) }] : [];
        });
    return {
      name,
      type: template.templateType,
      ...(template.deadline ? { deadline: template.deadline } : {}),
      children,
    };
  };
  return workflow.spec ? build(workflow.spec.entry, []) : undefined;
}

/** A running node and its children. */
export interface NodeTree {
  name: string;
  template: string;
  type: string;
  /** Running, Accomplished, DeadlineExceed or Aborted. */
  state: string;
  children: NodeTree[];
}

/** Where a node is, in one word. */
function nodeState(node: WorkflowNode): string {
  const conditions = node.status?.conditions;
  for (const type of ['Aborted', 'DeadlineExceed', 'Accomplished']) if (isTrue(conditions, type)) return type;
  return 'Running';
}

/** The tree of a workflow's nodes, from its entry node. */
export function workflowNodeTree(workflow: Workflow, nodes: readonly WorkflowNode[]): NodeTree | undefined {
  const byParent = new Map<string, WorkflowNode[]>();
  for (const node of nodes) {
    const parent = node.metadata.labels?.[LABEL_CONTROLLED_BY] ?? '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), node]);
  }
  const build = (node: WorkflowNode): NodeTree => ({
    name: node.metadata.name ?? '',
    template: node.spec?.templateName ?? '',
    type: node.spec?.type ?? '',
    state: nodeState(node),
    children: (byParent.get(node.metadata.name ?? '') ?? [])
      .filter(child => child.metadata.name !== node.metadata.name)
      .sort((a, b) => (a.spec?.startTime ?? '').localeCompare(b.spec?.startTime ?? ''))
      .map(build),
  });
  const entry =
    nodes.find(n => n.metadata.name === workflow.status?.entryNode) ??
    byParent.get(workflow.metadata.name ?? '')?.[0];
  return entry ? build(entry) : undefined;
}

/** A tree as indented lines (`├─ `, `└─ `), each line from `label`. */
export function treeLines<T extends { children: T[] }>(tree: T, label: (node: T) => string): string[] {
  const lines = [label(tree)];
  const walk = (node: T, prefix: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${label(child)}`);
      walk(child, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(tree, '');
  return lines;
}
