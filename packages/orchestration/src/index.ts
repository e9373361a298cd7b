// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/orchestration: Chaos Mesh's Schedule, Workflow (with WorkflowNode) and StatusCheck
 * over every loaded chaos kind, plugins included. Controllers that run as an engine extension,
 * their CRDs and validation, and the cron parser.
 * @packageDocumentation
 */
export { parseCronSchedule, nextRuns, type CronSchedule } from './cron/parseCronSchedule.js';
export { embedFieldName } from './kinds/embedFieldName.js';
export { createChaosKindTable, type ChaosKindTable, type EmbeddedKind } from './kinds/chaosKindTable.js';
export { orchestrationCrds } from './crd/orchestrationCrds.js';
export { ORCHESTRATION_PLURALS, orchestrationRbac } from './crd/orchestrationRbac.js';
export { createOrchestrationValidator, type OrchestrationValidator } from './validation/createValidator.js';
export {
  createOrchestration,
  orchestrationResource,
  type OrchestrationOptions,
} from './createOrchestration.js';
export { generatedName } from './runtime/generatedName.js';
export {
  scheduleNextRuns,
  workflowTemplateTree,
  workflowNodeTree,
  treeLines,
  type TemplateTree,
  type NodeTree,
} from './explain/explainOrchestration.js';
export type {
  KubeObject,
  Schedule,
  ScheduleSpec,
  ScheduleStatus,
  Workflow,
  WorkflowSpec,
  WorkflowStatus,
  WorkflowNode,
  WorkflowNodeSpec,
  WorkflowNodeStatus,
  StatusCheck,
  StatusCheckSpec,
  StatusCheckStatus,
  Template,
} from './api/objects.js';
