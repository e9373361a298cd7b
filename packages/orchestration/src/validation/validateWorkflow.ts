// SPDX-License-Identifier: Apache-2.0
// The semantic checks of a WorkflowSpec: Chaos Mesh's webhook rules with its messages and JSON
// paths, plus what its webhook leaves to fail at run time (unknown branch targets, cycles, a
// Task without container, a Schedule or StatusCheck template without its spec).
import type { Violation } from '@chaosplane/sdk';
import { FLOW_TEMPLATE_TYPES } from '../api/constants.js';
import type { Template, WorkflowSpec } from '../api/objects.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';
import { statusCheckViolations } from './validateStatusCheck.js';

/** What a nested check of an embedded spec returns (schedule, chaos spec). */
export type EmbeddedCheck = (template: Template, path: string) => Violation[];

/** Which optional parts a template type may carry. */
const ALLOWED: Record<
  string,
  { task?: true; children?: true; branches?: true; chaos?: true; schedule?: true }
> = {
  Task: { task: true, branches: true },
  Serial: { children: true },
  Parallel: { children: true },
  Suspend: {},
  StatusCheck: {},
  Schedule: { schedule: true },
};

/** Rules 9–13: the fields a template of its type must not carry. */
function misplacedFields(template: Template, table: ChaosKindTable, path: string): Violation[] {
  const allowed = ALLOWED[template.templateType] ?? { chaos: true };
  const out: Violation[] = [];
  const refuse = (what: string) =>
    out.push({ field: path, message: `this template should not contain ${what}` });
  if (template.task !== undefined && !allowed.task) refuse('Task');
  if (template.children !== undefined && !allowed.children) refuse('Children');
  if (template.conditionalBranches !== undefined && !allowed.branches) refuse('ConditionalBranches');
  if (!allowed.chaos && table.all.some(entry => template[entry.field] !== undefined)) refuse('any Chaos');
  if (template.schedule !== undefined && !allowed.schedule) refuse('Schedule');
  return out;
}

/** Rules 14–18 for a chaos template: its own embedded spec, no duration, the kind's rules. */
function chaosTemplateViolations(template: Template, table: ChaosKindTable, path: string): Violation[] {
  const entry = table.byKind(template.templateType);
  if (!entry) return [];
  const spec = template[entry.field] as Record<string, unknown> | undefined;
  if (spec === undefined) {
    const any = table.all.some(e => template[e.field] !== undefined);
    return [
      {
        field: `${path}.${entry.field}`,
        message: any
          ? `parse workflow field error: missing chaos spec ${entry.kind}`
          : `Invalid value: null: the value of chaos ${entry.kind} is required`,
      },
    ];
  }
  const out: Violation[] = [];
  if (typeof spec['duration'] === 'string' && spec['duration'] !== '')
    out.push({
      field: path,
      message: 'should not define duration in chaos when using Workflow, use Template#Deadline instead.',
    });
  for (const rule of entry.chaos.rules) out.push(...rule(spec as never, `${path}.${entry.field}`));
  return out;
}

/** Checks of one template by its type; `scheduleCheck` validates a Schedule template's spec. */
function templateViolations(
  template: Template,
  index: number,
  names: Set<string>,
  table: ChaosKindTable,
  scheduleCheck: EmbeddedCheck,
): Violation[] {
  const path = `spec.templates[${index}]`;
  const out: Violation[] = [];
  if (template.name === '')
    out.push({ field: `${path}.name`, message: 'Required value: name of template is required' });
  const type = template.templateType;
  if (!(FLOW_TEMPLATE_TYPES as readonly string[]).includes(type) && !table.byKind(type)) {
    out.push({ field: `${path}.templateType`, message: `unrecognized template type: ${type}` });
    return out;
  }
  if (type === 'Suspend' && !template.deadline)
    out.push({
      field: `${path}.deadline`,
      message: 'deadline in template with type Suspend could not be empty',
    });
  (template.children ?? []).forEach((child, j) => {
    if (!names.has(child))
      out.push({ field: `${path}.children[${j}]`, message: `can not find a template with name ${child}` });
  });
  (template.conditionalBranches ?? []).forEach((branch, j) => {
    if (!names.has(branch.target))
      out.push({
        field: `${path}.conditionalBranches[${j}].target`,
        message: `can not find a template with name ${branch.target}`,
      });
  });
  out.push(...misplacedFields(template, table, path));
  out.push(...chaosTemplateViolations(template, table, path));
  out.push(...requiredParts(template, path, scheduleCheck));
  return out;
}

/** A Task needs its container, a Schedule its schedule, a StatusCheck its check (Chaosplane's checks). */
function requiredParts(template: Template, path: string, scheduleCheck: EmbeddedCheck): Violation[] {
  switch (template.templateType) {
    case 'Task':
      return template.task?.container
        ? []
        : [{ field: `${path}.task.container`, message: 'Required value: a Task template runs a container' }];
    case 'Schedule':
      return template.schedule
        ? scheduleCheck(template, `${path}.schedule`)
        : [{ field: `${path}.schedule`, message: 'Required value: a Schedule template needs its schedule' }];
    case 'StatusCheck':
      return template.statusCheck
        ? statusCheckViolations(template.statusCheck, `${path}.statusCheck`)
        : [
            {
              field: `${path}.statusCheck`,
              message: 'Required value: a StatusCheck template needs its check',
            },
          ];
    default:
      return [];
  }
}

/** A cycle through children or branch targets, reported at the edge that closes it. */
function cycleViolations(templates: readonly Template[]): Violation[] {
  const index = new Map(templates.map((t, i) => [t.name, i]));
  const edges = (t: Template) => [
    ...(t.children ?? []).map((name, j) => ({ name, field: `children[${j}]` })),
    ...(t.conditionalBranches ?? []).map((b, j) => ({
      name: b.target,
      field: `conditionalBranches[${j}].target`,
    })),
  ];
  const state = new Map<string, 'open' | 'done'>();
  const out: Violation[] = [];
  const visit = (name: string, trail: string[]): void => {
    state.set(name, 'open');
    const i = index.get(name)!;
    for (const edge of edges(templates[i]!)) {
      if (!index.has(edge.name)) continue;
      if (state.get(edge.name) === 'open') {
        const loop = [...trail.slice(trail.indexOf(edge.name)), name, edge.name];
        out.push({
          field: `spec.templates[${i}].${edge.field}`,
          message: `a cycle of templates: ${loop.join(' → ')}`,
        });
      } else if (!state.has(edge.name)) visit(edge.name, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const t of templates) if (!state.has(t.name)) visit(t.name, []);
  return out;
}

/**
 * Every semantic violation of a WorkflowSpec (its shape already checked by the schema). Paths
 * start at `spec`; `prefix` re-roots them (a Schedule's `spec.workflow`).
 */
export function workflowViolations(
  spec: WorkflowSpec,
  table: ChaosKindTable,
  scheduleCheck: EmbeddedCheck,
  prefix = 'spec',
): Violation[] {
  const out: Violation[] = [];
  const templates = spec.templates ?? [];
  const names = new Set(templates.map(t => t.name));
  if (!spec.entry)
    out.push({ field: 'spec.entry', message: 'Required value: the entry of workflow is required' });
  if (!names.has(spec.entry))
    out.push({
      field: 'spec.entry',
      message: `Invalid value: ${JSON.stringify(spec.entry ?? '')}: can not find a template with name ${spec.entry ?? ''}`,
    });
  if (templates.length === 0) {
    out.push({
      field: 'spec.templates',
      message: 'Invalid value: null: templates in workflow could not be empty',
    });
  } else {
    const duplicated = [...names].filter(name => templates.filter(t => t.name === name).length > 1).sort();
    if (duplicated.length > 0)
      out.push({
        field: 'spec.templates',
        message: `Invalid value: "": template name must be unique, duplicated names: [${duplicated.join(' ')}]`,
      });
    templates.forEach((t, i) => out.push(...templateViolations(t, i, names, table, scheduleCheck)));
    out.push(...cycleViolations(templates));
  }
  return prefix === 'spec' ? out : out.map(v => ({ ...v, field: v.field.replace(/^spec/, prefix) }));
}
