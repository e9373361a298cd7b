// SPDX-License-Identifier: Apache-2.0
// Turns a PodSelectorSpec into checks, validating every field before any I/O.
import { ChaosplaneError } from '@chaosplane/sdk';
import type { PodSelectorSpec } from '@chaosplane/sdk/framework';
import type { PodRecord } from '../model/records.js';
import { compileFieldSelectors, toFieldSelectorString, type FieldRequirement } from './fieldRequirements.js';
import {
  compileEqualityMap,
  compileExpressions,
  toSelectorString,
  type MapRequirement,
} from './labelRequirements.js';
import { compilePhaseRule, type PhaseRule } from './phaseRule.js';

/** A PodSelectorSpec, compiled. */
export interface CompiledPodSpec {
  /** `pods` when non-empty (namespace → distinct names), which short-circuits every other field. */
  readonly explicitPods: ReadonlyMap<string, readonly string[]> | undefined;
  /** Distinct `namespaces`, empty when none were given. */
  readonly namespaces: readonly string[];
  readonly labels: readonly MapRequirement[];
  readonly annotations: readonly MapRequirement[];
  readonly fields: readonly FieldRequirement[];
  readonly phase: PhaseRule;
  /** `nodes` (distinct). */
  readonly nodeNames: readonly string[];
  /** `nodeSelectors` compiled; empty when none. */
  readonly nodeLabels: readonly MapRequirement[];
  /** The label selector string of {@link labels} (labelSelectors + expressionSelectors). */
  readonly labelSelector: string;
  /** The field selector string of {@link fields}. */
  readonly fieldSelector: string;
}

function distinct(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])];
}

function requireStrings(values: unknown, field: string): void {
  if (values === undefined) return;
  if (!Array.isArray(values) || values.some(value => typeof value !== 'string')) {
    throw new ChaosplaneError('invalid', `${field}: must be a list of strings`, { field });
  }
}

function requireStringMap(map: unknown, field: string): void {
  if (map === undefined) return;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new ChaosplaneError('invalid', `${field}: must be a map of strings`, { field });
  }
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') {
      throw new ChaosplaneError('invalid', `${field}.${key}: must be a string`, { field: `${field}.${key}` });
    }
  }
}

function compileExplicitPods(pods: PodSelectorSpec['pods']): Map<string, string[]> | undefined {
  if (pods === undefined) return undefined;
  if (typeof pods !== 'object' || pods === null || Array.isArray(pods)) {
    throw new ChaosplaneError('invalid', 'selector.pods: must be a map of namespace to pod names', {
      field: 'selector.pods',
    });
  }
  const entries = Object.entries(pods).filter(([, names]) => (names as unknown[] | undefined)?.length);
  if (entries.length === 0) return undefined;
  const map = new Map<string, string[]>();
  for (const [namespace, names] of entries.sort(([a], [b]) => a.localeCompare(b))) {
    requireStrings(names, `selector.pods.${namespace}`);
    map.set(namespace, distinct(names));
  }
  return map;
}

/**
 * Compiles and validates a PodSelectorSpec.
 * @throws ChaosplaneError kind `invalid` naming the offending field.
 */
export function compilePodSpec(spec: PodSelectorSpec | undefined): CompiledPodSpec {
  const s = spec ?? {};
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    throw new ChaosplaneError('invalid', 'selector: must be an object', { field: 'selector' });
  }
  requireStrings(s.namespaces, 'selector.namespaces');
  requireStrings(s.nodes, 'selector.nodes');
  requireStrings(s.podPhaseSelectors, 'selector.podPhaseSelectors');
  requireStringMap(s.labelSelectors, 'selector.labelSelectors');
  requireStringMap(s.annotationSelectors, 'selector.annotationSelectors');
  requireStringMap(s.fieldSelectors, 'selector.fieldSelectors');
  requireStringMap(s.nodeSelectors, 'selector.nodeSelectors');
  if (s.expressionSelectors !== undefined && !Array.isArray(s.expressionSelectors)) {
    throw new ChaosplaneError('invalid', 'selector.expressionSelectors: must be a list', {
      field: 'selector.expressionSelectors',
    });
  }
  const labels = [
    ...compileEqualityMap(s.labelSelectors, 'selector.labelSelectors', true),
    ...compileExpressions(s.expressionSelectors, 'selector.expressionSelectors'),
  ];
  const fields = compileFieldSelectors(s.fieldSelectors);
  return {
    explicitPods: compileExplicitPods(s.pods),
    namespaces: distinct(s.namespaces),
    labels,
    annotations: compileEqualityMap(s.annotationSelectors, 'selector.annotationSelectors', false),
    fields,
    phase: compilePhaseRule(s.podPhaseSelectors),
    nodeNames: distinct(s.nodes),
    nodeLabels: compileEqualityMap(s.nodeSelectors, 'selector.nodeSelectors', true),
    labelSelector: toSelectorString(labels),
    fieldSelector: toFieldSelectorString(fields),
  };
}

/**
 * The reasons a pod fails the compiled label, annotation, field and node checks (empty when it
 * passes). With `all` false it stops at the first reason, which is all selection needs.
 */
export function podMismatchReasons(
  pod: PodRecord,
  spec: CompiledPodSpec,
  nodeSet: ReadonlySet<string> | undefined,
  all: boolean,
): string[] {
  const reasons: string[] = [];
  for (const requirement of spec.labels) {
    if (!requirement.matches(pod.labels)) {
      reasons.push(`label ${requirement.text} does not match`);
      if (!all) return reasons;
    }
  }
  for (const requirement of spec.annotations) {
    if (!requirement.matches(pod.annotations)) {
      reasons.push(`annotation ${requirement.text} does not match`);
      if (!all) return reasons;
    }
  }
  for (const requirement of spec.fields) {
    if (!requirement.matches(pod)) {
      reasons.push(`field ${requirement.field}${requirement.operator}${requirement.value} does not match`);
      if (!all) return reasons;
    }
  }
  if (nodeSet !== undefined && !nodeSet.has(pod.nodeName)) {
    reasons.push(
      pod.nodeName === ''
        ? 'pod is not scheduled on a node'
        : `node ${pod.nodeName} is not among the selected nodes`,
    );
  }
  return reasons;
}
