// SPDX-License-Identifier: Apache-2.0
// Validation of Schedule, Workflow and StatusCheck objects in the operator's path: the schema
// (shape, enums, unknown fields, the embedded chaos specs' own keywords), then the semantic
// rules of Chaos Mesh's webhooks. Every violation names its field.
import { createSpecValidator, type SpecValidator } from '@chaosplane/engine';
import type { Violation } from '@chaosplane/sdk';
import type { ScheduleSpec, StatusCheckSpec, Template, WorkflowSpec } from '../api/objects.js';
import { scheduleSpecSchema, statusCheckSpecSchema, workflowSpecSchema } from '../api/schemas.js';
import { parseCronSchedule } from '../cron/parseCronSchedule.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';
import { statusCheckViolations } from './validateStatusCheck.js';
import { embeddedChaosViolations, workflowViolations } from './validateWorkflow.js';

/** The validators of the orchestration kinds for one set of chaos kinds. */
export interface OrchestrationValidator {
  /** Violations of a Schedule's spec. */
  schedule(spec: unknown): Violation[];
  /** Violations of a Workflow's spec. */
  workflow(spec: unknown): Violation[];
  /** Violations of a StatusCheck's spec. */
  statusCheck(spec: unknown): Violation[];
}

/** The cron expression and the spawned kind's embedded spec of a schedule at `path`. */
function scheduleSemantics(spec: ScheduleSpec, table: ChaosKindTable, path: string): Violation[] {
  const out: Violation[] = [];
  try {
    parseCronSchedule(spec.schedule);
  } catch (error) {
    out.push({
      field: `${path}.schedule`,
      message: `Invalid value: ${JSON.stringify(spec.schedule)}: parse schedule field error:${(error as Error).message}`,
    });
  }
  out.push(...foreignSpecs(spec, table, path));
  if (spec.type === 'Workflow') {
    if (!spec.workflow)
      out.push({ field: `${path}.workflow`, message: 'Required value: the workflow to create is required' });
    else out.push(...workflowViolations(spec.workflow, table, templateSchedule(table), `${path}.workflow`));
    return out;
  }
  const entry = table.byKind(spec.type);
  if (!entry) return out;
  const embedded = spec[entry.field];
  if (embedded === undefined || embedded === null) {
    out.push({
      field: `${path}.${entry.field}`,
      message: `Required value: the spec of ${entry.kind} is required for type ${entry.kind}`,
    });
    return out;
  }
  out.push(...embeddedChaosViolations(entry, embedded, `${path}.${entry.field}`));
  return out;
}

/** The embedded specs (and workflow) a schedule carries beside the one of its type, as the CRD refuses them. */
function foreignSpecs(spec: ScheduleSpec, table: ChaosKindTable, path: string): Violation[] {
  const fields = [...table.all.map(e => [e.kind, e.field] as const), ['Workflow', 'workflow'] as const];
  return fields
    .filter(([kind, field]) => kind !== spec.type && spec[field] !== undefined && spec[field] !== null)
    .map(([, field]) => ({
      field: `${path}.${field}`,
      message: `Forbidden: type ${spec.type} does not use ${field}: remove it`,
    }));
}

/** The check of a workflow template's `schedule`. */
function templateSchedule(table: ChaosKindTable) {
  return (template: Template, path: string) => scheduleSemantics(template.schedule!, table, path);
}

/**
 * Schema first; the semantic rules only for a spec with the right shape. The schema's validator is
 * compiled on first use: a Workflow's or Schedule's schema embeds every chaos kind's spec, and an
 * operator whose users never create one should not pay for compiling it.
 */
function layered<T>(schemaOf: () => object, semantics: (spec: T) => Violation[]) {
  let schema: SpecValidator | undefined;
  return (spec: unknown): Violation[] => {
    if (spec === undefined || spec === null) return [{ field: 'spec', message: 'Required value' }];
    schema ??= createSpecValidator(schemaOf());
    const violations = schema(spec);
    return violations.length > 0 ? violations : semantics(spec as T);
  };
}

/** Creates the validators for the chaos kinds of `table`. */
export function createOrchestrationValidator(table: ChaosKindTable): OrchestrationValidator {
  return {
    schedule: layered<ScheduleSpec>(
      () => scheduleSpecSchema(table),
      spec => scheduleSemantics(spec, table, 'spec'),
    ),
    workflow: layered<WorkflowSpec>(
      () => workflowSpecSchema(table),
      spec => workflowViolations(spec, table, templateSchedule(table)),
    ),
    statusCheck: layered<StatusCheckSpec>(
      () => statusCheckSpecSchema(),
      spec => statusCheckViolations(spec),
    ),
  };
}
