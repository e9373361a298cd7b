// SPDX-License-Identifier: Apache-2.0
// What the orchestration controllers share for one term of the engine.
import type { Clock, EventRecorder } from '@chaosplane/engine';
import type { KubeObject, Schedule, StatusCheck, Workflow, WorkflowNode } from '../api/objects.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';
import type { OrchestrationValidator } from '../validation/createValidator.js';
import type { KubeWrites } from './kubeWrites.js';
import type { ResourceCache } from './resourceCache.js';

/** The watched collections. */
export interface Caches {
  schedules: ResourceCache<Schedule>;
  workflows: ResourceCache<Workflow>;
  nodes: ResourceCache<WorkflowNode>;
  statusChecks: ResourceCache<StatusCheck>;
  /** Task pods (labelled `chaos-mesh.org/controlled-by`). */
  pods: ResourceCache;
  /** One per chaos kind, by kind name. */
  chaos: ReadonlyMap<string, ResourceCache>;
}

/** Shared by every orchestration controller. */
export interface OrchestrationDeps {
  clock: Clock;
  table: ChaosKindTable;
  validator: OrchestrationValidator;
  caches: Caches;
  writes: KubeWrites;
  /** `chaos-mesh.org/v1alpha1` (the chaos kinds' group). */
  apiVersion: string;
  /** Events by Chaos Mesh's controller name (`schedule-cron`, `workflow-entry-reconciler`, …). */
  events(component: string): EventRecorder;
  /** Runs `read` against the pod log endpoint (Task output). */
  readLog(namespace: string, pod: string, container: string, signal: AbortSignal): Promise<string>;
  /** Runs an HTTP request for a status check (the global fetch; tests may stand in). */
  fetch: typeof fetch;
  /** Reads any object (Kubernetes condition checks). */
  getObject(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined>;
}

/** `namespace/name` of an object. */
export const keyOfObject = (obj: KubeObject) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;

/** RFC 3339 with seconds, as Kubernetes serializes metav1.Time. */
export const rfc3339 = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
