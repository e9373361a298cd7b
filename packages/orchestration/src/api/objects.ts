// SPDX-License-Identifier: Apache-2.0
// The orchestration objects as plain JSON, as the API server sends them.
import type { ObjectMeta } from '@chaosplane/sdk';

/** Any namespaced Kubernetes object this package reads or writes. */
export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

/** A condition of a Workflow or WorkflowNode. */
export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
}

/** `ScheduleSpec` (Chaos Mesh's JSON names); the embedded spec sits under the kind's field name. */
export interface ScheduleSpec {
  schedule: string;
  startingDeadlineSeconds?: number | null;
  concurrencyPolicy?: 'Forbid' | 'Allow' | '';
  historyLimit?: number;
  type: string;
  workflow?: WorkflowSpec;
  [embedded: string]: unknown;
}

/** A reference to a spawned object, as in `status.active`. */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
}

/** `ScheduleStatus`: the children that exist, and the last run (`time`, Chaos Mesh's JSON name). */
export interface ScheduleStatus {
  active?: ObjectReference[];
  time?: string | null;
}

/** A Schedule. */
export type Schedule = KubeObject<ScheduleSpec, ScheduleStatus>;

/** A conditional branch of a Task template. */
export interface ConditionalBranch {
  target: string;
  expression?: string;
}

/** A Task: the pod's container and volumes, and extra labels. */
export interface TaskSpec {
  container?: { name: string; image?: string; [field: string]: unknown };
  volumes?: Record<string, unknown>[];
  labels?: Record<string, string>;
}

/** A workflow template. */
export interface Template {
  name: string;
  templateType: string;
  deadline?: string;
  task?: TaskSpec;
  children?: string[];
  conditionalBranches?: ConditionalBranch[];
  schedule?: ScheduleSpec;
  statusCheck?: StatusCheckSpec;
  abortWithStatusCheck?: boolean;
  [embedded: string]: unknown;
}

/** `WorkflowSpec`. */
export interface WorkflowSpec {
  entry: string;
  templates: Template[];
}

/** A Workflow condition (`Accomplished`, `Scheduled`; `Aborted` is Chaosplane's addition). */
export interface WorkflowCondition extends NodeCondition {
  startTime?: string;
}

/** `WorkflowStatus`. */
export interface WorkflowStatus {
  entryNode?: string;
  startTime?: string;
  endTime?: string;
  conditions?: WorkflowCondition[];
}

/** A Workflow. */
export type Workflow = KubeObject<WorkflowSpec, WorkflowStatus>;

/** `WorkflowNodeSpec`: the template, rendered with absolute times. */
export interface WorkflowNodeSpec {
  task?: TaskSpec;
  children?: string[];
  conditionalBranches?: ConditionalBranch[];
  schedule?: ScheduleSpec;
  statusCheck?: StatusCheckSpec;
  abortWithStatusCheck?: boolean;
  [embedded: string]: unknown;
  templateName: string;
  workflowName: string;
  type: string;
  startTime: string;
  deadline?: string;
}

/** The result of one conditional branch. */
export interface BranchStatus {
  target: string;
  evaluationResult: 'True' | 'False' | 'Unknown';
}

/** `WorkflowNodeStatus`. */
export interface WorkflowNodeStatus {
  chaosResource?: { apiGroup: string; kind: string; name: string };
  conditionalBranchesStatus?: { branches: BranchStatus[]; context?: string[] };
  activeChildren?: { name: string }[];
  finishedChildren?: { name: string }[];
  conditions?: NodeCondition[];
}

/** A WorkflowNode. */
export type WorkflowNode = KubeObject<WorkflowNodeSpec, WorkflowNodeStatus>;

/** `StatusCheckSpec` (HTTP as Chaos Mesh; Prometheus and Kubernetes are Chaosplane's). */
export interface StatusCheckSpec {
  mode?: 'Synchronous' | 'Continuous';
  type?: 'HTTP' | 'Prometheus' | 'Kubernetes';
  duration?: string;
  timeoutSeconds?: number;
  intervalSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
  recordsHistoryLimit?: number;
  http?: {
    url: string;
    method?: 'GET' | 'POST';
    headers?: Record<string, string[]>;
    body?: string;
    criteria: { statusCode: string };
  };
  prometheus?: {
    address: string;
    query: string;
    comparison: '>' | '>=' | '<' | '<=' | '==' | '!=';
    threshold: number;
  };
  kubernetes?: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
    conditionType: string;
    conditionStatus?: string;
  };
}

/** A StatusCheck condition. */
export interface StatusCheckCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

/** One execution of a check. */
export interface StatusCheckRecord {
  startTime: string;
  outcome: 'Success' | 'Failure';
}

/** `StatusCheckStatus`. */
export interface StatusCheckStatus {
  startTime?: string;
  completionTime?: string;
  count?: number;
  conditions?: StatusCheckCondition[];
  records?: StatusCheckRecord[];
}

/** A StatusCheck. */
export type StatusCheck = KubeObject<StatusCheckSpec, StatusCheckStatus>;
