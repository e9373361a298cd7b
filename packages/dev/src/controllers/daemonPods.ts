// SPDX-License-Identifier: Apache-2.0
// A DaemonSet's pods as its controller sees them (k8s.io/kubernetes pkg/controller/daemon/util):
// which nodes should run one, the template its pods are made from (the default tolerations every
// daemon pod gets, the revision labels, the node pinned through node affinity as 1.32 does), and
// which pods run the current template.
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { INodeAffinity } from 'kubernetes-models/v1/NodeAffinity';
import type { INodeSelector } from 'kubernetes-models/v1/NodeSelector';
import { REVISION_HASH } from './daemonSetHistory.js';
import { effectiveTaints, nodeAffinityMatches, untoleratedTaint, type Toleration } from './nodePlacement.js';
import type { DaemonSet, Node, Pod, PodTemplateSpec } from './objects.js';

/** The label of the template generation (kept for compatibility, as the controller still sets it). */
export const TEMPLATE_GENERATION = 'pod-template-generation';

/**
 * Tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations): it keeps running on a
 * node that is not ready or unreachable, and is placed on nodes under pressure or cordoned.
 */
function daemonTolerations(spec: IPodSpec | undefined): Toleration[] {
  const defaults: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec?.hostNetwork === true)
    defaults.push({
      key: 'node.kubernetes.io/network-unavailable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  const tolerations = [...(spec?.tolerations ?? [])];
  for (const toleration of defaults) {
    const same = (t: Toleration) =>
      t.key === toleration.key && t.effect === toleration.effect && t.operator === toleration.operator;
    if (!tolerations.some(same)) tolerations.push(toleration);
  }
  return tolerations;
}

/**
 * Whether a daemon pod should be placed on `node`, and whether one already there may stay
 * (NodeShouldRunDaemonPod): the template's nodeName, nodeSelector and required node affinity,
 * and the node's taints against the pod's tolerations (an untolerated NoSchedule keeps new
 * pods off but lets a running one stay; NoExecute evicts).
 */
export function shouldRunOn(ds: DaemonSet, node: Node): { run: boolean; stay: boolean } {
  const spec = ds.spec?.template?.spec;
  if (spec?.nodeName && spec.nodeName !== node.metadata.name) return { run: false, stay: false };
  if (!nodeAffinityMatches(spec, node)) return { run: false, stay: false };
  const tolerations = daemonTolerations(spec);
  const taints = effectiveTaints(node);
  if (untoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute']) === undefined)
    return { run: true, stay: true };
  return { run: false, stay: untoleratedTaint(taints, tolerations, ['NoExecute']) === undefined };
}

/**
 * The template of a new daemon pod for `nodeName` (CreatePodTemplate and
 * ReplaceDaemonSetPodNodeNameNodeAffinity): the default tolerations, the revision labels, and a
 * required node affinity on `metadata.name`, which the scheduler binds to that node.
 */
export function daemonPodTemplate(ds: DaemonSet, hash: string, nodeName: string): PodTemplateSpec {
  const template = structuredClone(ds.spec?.template ?? {});
  const spec = (template.spec ?? { containers: [] }) as IPodSpec;
  spec.tolerations = daemonTolerations(spec);
  const pinned: INodeSelector = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  const nodeAffinity: INodeAffinity = {
    ...(spec.affinity?.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: pinned,
  };
  spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity };
  template.spec = spec;
  template.metadata = {
    ...template.metadata,
    labels: {
      ...(template.metadata?.labels ?? {}),
      [TEMPLATE_GENERATION]: String(ds.metadata.generation ?? 1),
      [REVISION_HASH]: hash,
    },
  };
  return template;
}

/** True when the pod runs the DaemonSet's current template (IsPodUpdated). */
export function isPodUpdated(pod: Pod, hash: string): boolean {
  return hash !== '' && pod.metadata.labels?.[REVISION_HASH] === hash;
}
