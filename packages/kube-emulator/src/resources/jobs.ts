// SPDX-License-Identifier: Apache-2.0
/**
 * batch/v1 Job, as the apiserver stores one (`kubectl create job` makes them): its defaulter's
 * values and, unless `manualSelector` is set, the selector its create strategy generates from
 * the job's uid (and the labels it adds to the pod template so the selector matches). No
 * controller runs the job.
 */
import { type JsonObject, type KubeObject, isMap } from '../types.js';

/** A job without labels takes its pod template's. */
function copyTemplateLabels(obj: KubeObject, spec: JsonObject): void {
  const template = isMap(spec.template) ? spec.template : undefined;
  const templateLabels = isMap(template?.metadata) ? template.metadata.labels : undefined;
  if (isMap(templateLabels) && Object.keys(obj.metadata.labels ?? {}).length === 0)
    obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
}

/** The Job defaulter (k8s.io/kubernetes pkg/apis/batch/v1 SetDefaults_Job). */
export function defaultJob(obj: KubeObject): void {
  if (!isMap(obj.spec)) return;
  const spec = obj.spec;
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2 ** 31 - 1;
  copyTemplateLabels(obj, spec);
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy === undefined ? 'TerminatingOrFailed' : 'Failed';
}

/**
 * The selector the Job create strategy generates: the template gets `job-name` and
 * `controller-uid` labels (legacy and `batch.kubernetes.io/` forms), the selector matches the
 * uid. Call once the uid is assigned.
 */
export function generateJobSelector(obj: KubeObject): void {
  if (!isMap(obj.spec) || obj.spec.manualSelector === true) return;
  const spec = obj.spec;
  const uid = obj.metadata.uid!;
  const template: JsonObject = isMap(spec.template) ? spec.template : (spec.template = {});
  const meta: JsonObject = isMap(template.metadata) ? template.metadata : (template.metadata = {});
  const labels: JsonObject = isMap(meta.labels) ? meta.labels : (meta.labels = {});
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) labels[key] ??= obj.metadata.name;
  for (const key of ['controller-uid', 'batch.kubernetes.io/controller-uid']) labels[key] ??= uid;
  const selector: JsonObject = isMap(spec.selector) ? spec.selector : (spec.selector = {});
  const matchLabels: JsonObject = isMap(selector.matchLabels)
    ? selector.matchLabels
    : (selector.matchLabels = {});
  matchLabels['batch.kubernetes.io/controller-uid'] ??= uid;
}
