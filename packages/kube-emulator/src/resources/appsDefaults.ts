// SPDX-License-Identifier: Apache-2.0
/**
 * apps/v1 defaulters (k8s.io/kubernetes pkg/apis/apps/v1 defaults.go): what `kubectl get -o
 * yaml` shows a Deployment, ReplicaSet or DaemonSet to have after create, and what `kubectl
 * rollout status` reads (a DaemonSet's update strategy). Their pod templates get the pod spec's
 * defaults. No controller acts on them here: @chaosplane/dev runs those.
 */
import { type JsonObject, type KubeObject, isMap } from '../types.js';

/** SetDefaults_PodSpec, passed in by defaults.ts (which imports this file). */
type PodSpecDefaulter = (spec: JsonObject) => void;

/** The pod template's spec defaults (SetDefaults_PodSpec runs on templates too). */
function defaultTemplate(spec: JsonObject, defaultPodSpec: PodSpecDefaulter): void {
  const template = isMap(spec.template) ? spec.template : undefined;
  if (template && isMap(template.spec)) defaultPodSpec(template.spec);
}

/** An object's map under `key`, created when absent. */
function mapAt(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (isMap(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** SetDefaults_Deployment: one replica, RollingUpdate 25%/25%, 10 revisions, a 600 s deadline. */
function defaultDeployment(obj: KubeObject, defaultPodSpec: PodSpecDefaulter): void {
  if (!isMap(obj.spec)) return;
  const spec = obj.spec;
  spec.replicas ??= 1;
  const strategy = mapAt(spec, 'strategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = mapAt(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= '25%';
    rolling.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec, defaultPodSpec);
}

/** SetDefaults_ReplicaSet: one replica. */
function defaultReplicaSet(obj: KubeObject, defaultPodSpec: PodSpecDefaulter): void {
  if (!isMap(obj.spec)) return;
  obj.spec.replicas ??= 1;
  defaultTemplate(obj.spec, defaultPodSpec);
}

/** SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions. */
function defaultDaemonSet(obj: KubeObject, defaultPodSpec: PodSpecDefaulter): void {
  if (!isMap(obj.spec)) return;
  const spec = obj.spec;
  const strategy = mapAt(spec, 'updateStrategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = mapAt(strategy, 'rollingUpdate');
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec, defaultPodSpec);
}

/** The apps/v1 defaulters, by plural. */
export const APPS_DEFAULTERS = new Map<string, (obj: KubeObject, defaultPodSpec: PodSpecDefaulter) => void>([
  ['deployments', defaultDeployment],
  ['replicasets', defaultReplicaSet],
  ['daemonsets', defaultDaemonSet],
]);
