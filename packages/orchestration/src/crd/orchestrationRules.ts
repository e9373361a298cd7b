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

/**
 * Every name a template's `list` refers to (`ref` of each entry `v`) is a template's. The message
 * names the first missing one and its template in one pass over `self.templates`, and goes
 * through format(): a real API server estimates a string picked out of a filtered list as of any
 * length (a concatenation with it is over the cost budget by more than 100x), and a second pass
 * to find the template would double an already large estimate.
 */
function missingReferenceRule(list: string, v: string, ref: string) {
  // The names first (`map`), so that what is filtered and concatenated is a string of known length.
  const missing = `t.${list}.map(${v}, ${ref}).filter(n, !${templateExists('n')})`;
  return {
    rule: `self.templates.all(t, !has(t.${list}) || t.${list}.all(${v}, ${templateExists(ref)}))`,
    messageExpression:
      `'can not find a template with name %s'.format([self.templates.map(t, has(t.${list}) ? ` +
      `${missing}.map(n, n + ' (${list} of ' + t.name + ')') : []).filter(l, size(l) > 0)[0][0]])`,
    fieldPath: '.templates',
  };
}

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
      // format(), not `+`: a real API server estimates a name picked out of a filtered list as a
      // string of any length, and a concatenation with it as over the cost budget by more than 100x.
      messageExpression:
        "'template name must be unique, duplicated name: %s'.format([self.templates.filter(t, !self.templates.exists_one(u, u.name == t.name))[0].name])",
      fieldPath: '.templates',
      reason: 'FieldValueDuplicate',
    },
    missingReferenceRule('children', 'c', 'c'),
    missingReferenceRule('conditionalBranches', 'b', 'b.target'),
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
