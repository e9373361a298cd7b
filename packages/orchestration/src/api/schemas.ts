// SPDX-License-Identifier: Apache-2.0
// The schemas of Schedule, Workflow, WorkflowNode and StatusCheck with Chaos Mesh's JSON shapes,
// built from the loaded chaos kinds (each embeds under its field). One schema gives the CRD and
// the operator's validation, as for the chaos kinds.
import { Type, type TSchema } from '@sinclair/typebox';
import { DurationString, StringEnum } from '@chaosplane/sdk';
import { MAX_SCHEDULE_LENGTH } from '../cron/cronRules.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';

/** A Kubernetes name (DNS-1123 subdomain), as workflow template names must be. */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/**
 * Bounds of a workflow's lists: the CRD's CEL rules that check template names iterate over
 * `templates` for each name, every template embeds every chaos kind's rules, and a real API
 * server refuses a CRD whose rules' estimated cost (which grows with the lists' maxItems) is
 * above its limits. Measured (test/crdCost.test.ts): at 64 templates, 16 children and 16
 * branches the costliest rule is 7.2 million (limit 10 million) and the Workflow's total 70.1
 * million (limit 100 million); at 128 templates the name rules alone would be over the limit.
 */
export const MAX_TEMPLATES = 64;
/** Children of one Serial or Parallel template. */
export const MAX_CHILDREN = 16;
/** Conditional branches of one Task template. */
export const MAX_BRANCHES = 16;

/** Every embedded chaos spec, optional, under its field. */
function embeddedSpecs(table: ChaosKindTable): Record<string, TSchema> {
  return Object.fromEntries(
    table.all.map(entry => [
      entry.field,
      Type.Optional({ ...entry.chaos.spec, description: `The ${entry.kind} to create.` } as TSchema),
    ]),
  );
}

/** A `status.conditions[]` entry of a workflow or node. */
const NodeConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.String({ description: 'True, False or Unknown.' }),
  reason: Type.String(),
  startTime: Type.Optional(Type.String({ format: 'date-time' })),
});

/** `StatusCheckSpec`, with the CRD defaults Chaos Mesh sets. */
export function statusCheckSpecSchema() {
  return Type.Object(
    {
      mode: Type.Optional(
        StringEnum(['Synchronous', 'Continuous'], {
          description:
            'Synchronous ends on the success threshold too; Continuous only on failure or duration.',
        }),
      ),
      type: Type.Optional(
        StringEnum(['HTTP', 'Prometheus', 'Kubernetes'], {
          default: 'HTTP',
          description: 'HTTP as Chaos Mesh; Prometheus and Kubernetes are Chaosplane additions.',
        }),
      ),
      duration: Type.Optional(DurationString({ description: 'How long the check runs (a Go duration).' })),
      timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
      intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, default: 10 })),
      failureThreshold: Type.Optional(Type.Integer({ minimum: 1, default: 3 })),
      successThreshold: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
      recordsHistoryLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      http: Type.Optional(
        Type.Object({
          url: Type.String(),
          method: Type.Optional(StringEnum(['GET', 'POST'], { default: 'GET' })),
          headers: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
          body: Type.Optional(Type.String()),
          criteria: Type.Object({
            statusCode: Type.String({ description: 'A code (200) or an inclusive range (200-399).' }),
          }),
        }),
      ),
      prometheus: Type.Optional(
        Type.Object(
          {
            address: Type.String({ description: 'The Prometheus base URL (http://prometheus:9090).' }),
            query: Type.String({ description: 'A PromQL instant query.' }),
            comparison: StringEnum(['>', '>=', '<', '<=', '==', '!=']),
            threshold: Type.Number(),
          },
          {
            description: 'Succeeds when every sample of the instant query compares true with the threshold.',
          },
        ),
      ),
      kubernetes: Type.Optional(
        Type.Object(
          {
            apiVersion: Type.String(),
            kind: Type.String(),
            name: Type.String(),
            namespace: Type.Optional(Type.String()),
            conditionType: Type.String({ description: 'Available, Ready, …' }),
            conditionStatus: Type.Optional(Type.String({ default: 'True' })),
          },
          { description: "Succeeds while the object's condition has the status." },
        ),
      ),
    },
    { description: 'A check of the system under test, repeated every intervalSeconds.' },
  );
}

/** `StatusCheckStatus`. */
export function statusCheckStatusSchema() {
  return Type.Object({
    startTime: Type.Optional(Type.String({ format: 'date-time' })),
    completionTime: Type.Optional(Type.String({ format: 'date-time' })),
    count: Type.Optional(Type.Integer()),
    conditions: Type.Optional(
      Type.Array(
        Type.Object({
          type: Type.String(),
          status: Type.String(),
          reason: Type.String(),
          lastProbeTime: Type.String({ format: 'date-time' }),
          lastTransitionTime: Type.String({ format: 'date-time' }),
        }),
      ),
    ),
    records: Type.Optional(
      Type.Array(
        Type.Object({
          startTime: Type.String({ format: 'date-time' }),
          outcome: StringEnum(['Success', 'Failure']),
        }),
      ),
    ),
  });
}

/**
 * The Schedule spec's own fields. `inWorkflow` gives Chaos Mesh's ChaosOnlyScheduleSpec (a
 * template's `schedule`): no default concurrency policy, a deadline of 0 allowed, no workflow.
 */
function scheduleFields(table: ChaosKindTable, inWorkflow: boolean): Record<string, TSchema> {
  return {
    schedule: Type.String({
      // The grammar is checked by the CRD's CEL rules (cron/cronRules.ts) and the operator.
      maxLength: MAX_SCHEDULE_LENGTH,
      description: 'A cron expression: 5 or 6 fields, @every <duration>, @daily…; TZ= or CRON_TZ= prefix.',
    }),
    startingDeadlineSeconds: Type.Optional(
      Type.Integer({
        nullable: true,
        // Chaos Mesh: > 0 for a Schedule (minimum 0, exclusive), ≥ 0 in a workflow template.
        minimum: inWorkflow ? 0 : 1,
        description: 'A run missed by more than this many seconds is skipped (and reported).',
      }),
    ),
    concurrencyPolicy: Type.Optional(
      StringEnum(['Forbid', 'Allow'], inWorkflow ? {} : { default: 'Forbid' as const }),
    ),
    historyLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Finished runs kept.' })),
    type: StringEnum(
      inWorkflow ? table.scheduleTypes().filter(t => t !== 'Workflow') : table.scheduleTypes(),
      {
        description: 'The kind spawned at every run.',
      },
    ),
    ...embeddedSpecs(table),
  };
}

/** `Template` of a workflow. */
function templateSchema(table: ChaosKindTable) {
  return Type.Object({
    name: Type.String({ pattern: DNS_SUBDOMAIN, maxLength: 253 }),
    templateType: StringEnum(table.templateTypes()),
    deadline: Type.Optional(DurationString({ description: 'How long the node may run (a Go duration).' })),
    task: Type.Optional(taskSchema()),
    children: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: MAX_CHILDREN })),
    conditionalBranches: Type.Optional(
      Type.Array(
        Type.Object({ target: Type.String({ maxLength: 253 }), expression: Type.Optional(Type.String()) }),
        {
          maxItems: MAX_BRANCHES,
        },
      ),
    ),
    ...embeddedSpecs(table),
    schedule: Type.Optional(Type.Object(scheduleFields(table, true))),
    statusCheck: Type.Optional(statusCheckSpecSchema()),
    abortWithStatusCheck: Type.Optional(Type.Boolean()),
  });
}

/** A Task: one container (a core/v1 Container, kept as is), volumes and labels. */
function taskSchema() {
  return Type.Object({
    container: Type.Optional(
      Type.Object(
        { name: Type.String(), image: Type.Optional(Type.String()) },
        { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
      ),
    ),
    volumes: Type.Optional(
      Type.Array(
        Type.Object({}, { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true }),
      ),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  });
}

/** `WorkflowSpec`. */
export function workflowSpecSchema(table: ChaosKindTable) {
  return Type.Object({
    entry: Type.String({ description: 'The name of the entry template.', maxLength: 253 }),
    templates: Type.Array(templateSchema(table), { maxItems: MAX_TEMPLATES }),
  });
}

/** `ScheduleSpec`. */
export function scheduleSpecSchema(table: ChaosKindTable) {
  return Type.Object({
    ...scheduleFields(table, false),
    workflow: Type.Optional(workflowSpecSchema(table)),
  });
}

/** `ScheduleStatus`: `active` and `time` (the last run). */
export function scheduleStatusSchema() {
  return Type.Object({
    active: Type.Optional(
      Type.Array(
        Type.Object({
          apiVersion: Type.Optional(Type.String()),
          kind: Type.Optional(Type.String()),
          name: Type.Optional(Type.String()),
          namespace: Type.Optional(Type.String()),
          uid: Type.Optional(Type.String()),
          resourceVersion: Type.Optional(Type.String()),
        }),
      ),
    ),
    time: Type.Optional(Type.String({ format: 'date-time', nullable: true })),
  });
}

/** `WorkflowStatus`. */
export function workflowStatusSchema() {
  return Type.Object({
    entryNode: Type.Optional(Type.String()),
    startTime: Type.Optional(Type.String({ format: 'date-time' })),
    endTime: Type.Optional(Type.String({ format: 'date-time' })),
    conditions: Type.Optional(Type.Array(NodeConditionSchema)),
  });
}

/** `WorkflowNodeSpec`: the template with absolute times. */
export function workflowNodeSpecSchema(table: ChaosKindTable) {
  return Type.Object({
    templateName: Type.String(),
    workflowName: Type.String(),
    type: Type.String(),
    startTime: Type.String({ format: 'date-time' }),
    deadline: Type.Optional(Type.String({ format: 'date-time' })),
    task: Type.Optional(taskSchema()),
    children: Type.Optional(Type.Array(Type.String())),
    conditionalBranches: Type.Optional(
      Type.Array(Type.Object({ target: Type.String(), expression: Type.Optional(Type.String()) })),
    ),
    ...embeddedSpecs(table),
    schedule: Type.Optional(Type.Object(scheduleFields(table, true))),
    statusCheck: Type.Optional(statusCheckSpecSchema()),
    abortWithStatusCheck: Type.Optional(Type.Boolean()),
  });
}

/** `WorkflowNodeStatus`. */
export function workflowNodeStatusSchema() {
  const names = Type.Array(Type.Object({ name: Type.String() }));
  return Type.Object({
    chaosResource: Type.Optional(
      Type.Object({ apiGroup: Type.Optional(Type.String()), kind: Type.String(), name: Type.String() }),
    ),
    conditionalBranchesStatus: Type.Optional(
      Type.Object({
        branches: Type.Optional(
          Type.Array(Type.Object({ target: Type.String(), evaluationResult: Type.String() })),
        ),
        context: Type.Optional(Type.Array(Type.String())),
      }),
    ),
    activeChildren: Type.Optional(names),
    finishedChildren: Type.Optional(names),
    conditions: Type.Optional(Type.Array(NodeConditionSchema)),
  });
}
