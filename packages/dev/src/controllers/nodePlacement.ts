// SPDX-License-Identifier: Apache-2.0
// Where a pod may run (the scheduler's NodeAffinity, NodeUnschedulable and TaintToleration
// filters, which the DaemonSet controller also applies): its nodeSelector and required node
// affinity (label expressions, and `metadata.name` fields as DaemonSet pods carry), taints it
// does not tolerate, and a cordoned node.
import type { INodeSelectorRequirement } from 'kubernetes-models/v1/NodeSelectorRequirement';
import type { ITaint } from 'kubernetes-models/v1/Taint';
import type { IToleration } from 'kubernetes-models/v1/Toleration';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { Node } from './objects.js';

export type Taint = ITaint;
export type Toleration = IToleration;

/** The taint the node lifecycle controller puts on a cordoned node. */
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** True when `toleration` tolerates `taint` (Toleration.ToleratesTaint). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  if (toleration.operator !== undefined && toleration.operator !== 'Equal') return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first of `taints` with an effect in `effects` that no toleration tolerates. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: readonly string[],
): Taint | undefined {
  return taints.find(t => effects.includes(t.effect) && !tolerations.some(tol => tolerates(tol, t)));
}

/** `Gt` and `Lt`: both sides integers, compared as such. */
function compareNumbers(operator: 'Gt' | 'Lt', current: string | undefined, bound: string | undefined) {
  const have = Number.parseInt(current ?? '', 10);
  const limit = Number.parseInt(bound ?? '', 10);
  if (Number.isNaN(have) || Number.isNaN(limit)) return false;
  return operator === 'Gt' ? have > limit : have < limit;
}

/** True when one node selector requirement holds for the node's labels or fields. */
function requirementHolds(req: INodeSelectorRequirement, values: Record<string, string>): boolean {
  const current = Object.hasOwn(values, req.key) ? values[req.key] : undefined;
  const wanted = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return current !== undefined && wanted.includes(current);
    case 'NotIn':
      return current === undefined || !wanted.includes(current);
    case 'Exists':
      return current !== undefined;
    case 'DoesNotExist':
      return current === undefined;
    case 'Gt':
    case 'Lt':
      return compareNumbers(req.operator, current, wanted[0]);
    default:
      return false;
  }
}

/**
 * True when the pod's nodeSelector and required node affinity allow the node (terms are ORed,
 * the requirements of a term ANDed; a term without requirements matches nothing).
 */
export function nodeAffinityMatches(spec: IPodSpec | undefined, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(spec?.nodeSelector ?? {}))
    if (labels[key] !== value) return false;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined) return true;
  const fields = { 'metadata.name': node.metadata.name };
  return terms.some(term => {
    const expressions = term.matchExpressions ?? [];
    const matchFields = term.matchFields ?? [];
    if (expressions.length === 0 && matchFields.length === 0) return false;
    return (
      expressions.every(req => requirementHolds(req, labels)) &&
      matchFields.every(req => requirementHolds(req, fields))
    );
  });
}

/** The node a pod is meant for: its nodeName, or the `metadata.name` its affinity pins (GetTargetNodeName). */
export function targetNodeName(spec: IPodSpec | undefined): string | undefined {
  if (spec?.nodeName) return spec.nodeName;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms)
    for (const field of term.matchFields ?? [])
      if (field.key === 'metadata.name' && field.operator === 'In' && field.values?.length === 1)
        return field.values[0];
  return undefined;
}

/** The node's taints, with the unschedulable one a cordon implies. */
export function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  if (node.spec?.unschedulable === true && !taints.some(t => t.key === UNSCHEDULABLE_TAINT.key))
    taints.push(UNSCHEDULABLE_TAINT);
  return taints;
}
