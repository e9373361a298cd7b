// SPDX-License-Identifier: Apache-2.0
// The CEL rules (`x-kubernetes-validations`) of the Schedule and Workflow CRDs, so a real API
// server (1.28+: `fieldPath` and `reason`) refuses at `kubectl apply` what the operator would
// only refuse in an Event: a chaos type without its embedded spec or with another kind's, a
// cron expression out of robfig's grammar, a Suspend without deadline, names of templates that
// do not exist, duplicate template names, and each embedded kind's own cross-field rules.
// Cycles stay in the operator: CEL cannot recurse.
// The rules that compare names iterate over `templates` inside `templates`; the schemas bound
// those lists (MAX_TEMPLATES and friends in api/schemas.ts) to keep the API server's cost
// estimate under its limits.
import type { JsonSchema } from '@chaosplane/engine';
import type { CelValidation } from '@chaosplane/sdk';
import { WORKFLOW_KIND } from '../api/constants.js';
import { cronScheduleRules } from '../cron/cronRules.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';

/** Adds `rules` to a node's `x-kubernetes-validations`. */
function appendRules(node: JsonSchema | undefined, rules: readonly CelValidation[]): void {
  if (!node || rules.length === 0) return;
  const existing = Array.isArray(node['x-kubernetes-validations'])
    ? (node['x-kubernetes-validations'] as object[])
    : [];
  node['x-kubernetes-validations'] = [...existing, ...rules.map(rule => ({ ...rule }))];
}

/** A property's schema node, if the node has it. */
function property(node: JsonSchema | undefined, name: string): JsonSchema | undefined {
  const properties = node?.['properties'] as Record<string, JsonSchema> | undefined;
  return properties?.[name];
}

/**
 * `discriminator` (the node's `type` or `templateType`) of `kind` requires `field`, and `field`
 * is refused under any other value.
 */
function embeddedRules(
  discriminator: string,
  kind: string,
  field: string,
  required: string,
): CelValidation[] {
  return [
    {
      rule: `self.${discriminator} != '${kind}' || has(self.${field})`,
      message: required,
      fieldPath: `.${field}`,
      reason: 'FieldValueRequired',
    },
    {
      rule: `!has(self.${field}) || self.${discriminator} == '${kind}'`,
      messageExpression: `'${discriminator} ' + self.${discriminator} + ' does not use ${field}: remove it'`,
      fieldPath: `.${field}`,
      reason: 'FieldValueForbidden',
    },
  ];
}

/** Each kind's own cross-field rules on its embedded spec node, as on the kind's own CRD. */
function embeddedKindRules(node: JsonSchema | undefined, table: ChaosKindTable): void {
  for (const entry of table.all) appendRules(property(node, entry.field), entry.chaos.validations);
}

/** Rules of a schedule node (a Schedule's spec, a template's `schedule`). */
function decorateSchedule(node: JsonSchema | undefined, table: ChaosKindTable): void {
  if (!node) return;
  appendRules(property(node, 'schedule'), cronScheduleRules());
  appendRules(
    node,
    table.all.flatMap(entry =>
      embeddedRules(
        'type',
        entry.kind,
        entry.field,
        `the spec of ${entry.kind} is required for type ${entry.kind}`,
      ),
    ),
  );
  embeddedKindRules(node, table);
  const workflow = property(node, 'workflow');
  if (workflow) {
    appendRules(node, embeddedRules('type', WORKFLOW_KIND, 'workflow', 'the workflow to create is required'));
    decorateWorkflow(workflow, table);
  }
}

/** A template named `name` (a CEL expression) exists. */
const templateExists = (name: string) => `self.templates.exists(u, u.name == ${name})`;

/** Rules of a workflow spec node (a Workflow's spec, a Schedule's `workflow`). */
export function decorateWorkflow(node: JsonSchema, table: ChaosKindTable): void {
  appendRules(node, [
    {
      rule: templateExists('self.entry'),
      messageExpression: "'can not find a template with name ' + self.entry",
      fieldPath: '.entry',
    },
    {
      rule: 'self.templates.all(t, self.templates.exists_one(u, u.name == t.name))',
      messageExpression:
        "'template name must be unique, duplicated name: ' + self.templates.filter(t, !self.templates.exists_one(u, u.name == t.name))[0].name",
      fieldPath: '.templates',
      reason: 'FieldValueDuplicate',
    },
    {
      rule: `self.templates.all(t, !has(t.children) || t.children.all(c, ${templateExists('c')}))`,
      messageExpression:
        "'can not find a template with name ' + self.templates.filter(t, has(t.children)).map(t, t.children.filter(c, !" +
        templateExists('c') +
        ")).filter(l, size(l) > 0)[0][0] + ' (children of ' + self.templates.filter(t, has(t.children) && t.children.exists(c, !" +
        templateExists('c') +
        "))[0].name + ')'",
      fieldPath: '.templates',
    },
    {
      rule: `self.templates.all(t, !has(t.conditionalBranches) || t.conditionalBranches.all(b, ${templateExists('b.target')}))`,
      messageExpression:
        "'can not find a template with name ' + self.templates.filter(t, has(t.conditionalBranches)).map(t, t.conditionalBranches.filter(b, !" +
        templateExists('b.target') +
        ")).filter(l, size(l) > 0)[0][0].target + ' (conditionalBranches of ' + self.templates.filter(t, has(t.conditionalBranches) && t.conditionalBranches.exists(b, !" +
        templateExists('b.target') +
        "))[0].name + ')'",
      fieldPath: '.templates',
    },
  ]);
  const template = property(node, 'templates')?.['items'] as JsonSchema | undefined;
  if (!template) return;
  appendRules(template, [
    ...table.all.flatMap(entry =>
      embeddedRules('templateType', entry.kind, entry.field, `the value of chaos ${entry.kind} is required`),
    ),
    {
      rule: "self.templateType != 'Suspend' || (has(self.deadline) && self.deadline != '')",
      message: 'deadline in template with type Suspend could not be empty',
      fieldPath: '.deadline',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.templateType != 'Task' || (has(self.task) && has(self.task.container))",
      message: 'a Task template runs a container',
      fieldPath: '.task.container',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.templateType != 'Schedule' || has(self.schedule)",
      message: 'a Schedule template needs its schedule',
      fieldPath: '.schedule',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.templateType != 'StatusCheck' || has(self.statusCheck)",
      message: 'a StatusCheck template needs its check',
      fieldPath: '.statusCheck',
      reason: 'FieldValueRequired',
    },
  ]);
  embeddedKindRules(template, table);
  decorateSchedule(property(template, 'schedule'), table);
}

/** Adds the rules of a Schedule's spec node. */
export function decorateScheduleSpec(node: JsonSchema, table: ChaosKindTable): void {
  decorateSchedule(node, table);
}
