// SPDX-License-Identifier: Apache-2.0
import {
  ChaosplaneError,
  type ContainerSelector,
  type ContainerTarget,
  type SelectedTarget,
} from '@chaosplane/sdk';
import { cryptoRandomIndex } from '../mode/pickByMode.js';
import { podId, type PodRecord } from '../model/records.js';
import type { SelectionSource } from './SelectionSource.js';
import {
  explanationOfError,
  pickPods,
  sortExclusions,
  type PodPick,
  type PodSelectorOptions,
} from './createPodSelector.js';
import type { Exclusion } from './evaluatePods.js';
import { errorSummary, type ExplainableSelector } from './explanation.js';
import { createNamespaceGates } from './namespaceGates.js';
import { resolveContainerTarget } from './resolveTargets.js';

/** A selected container: the record id `ns/pod/container` plus what callers need to reach it. */
export interface SelectedContainer extends SelectedTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** `spec.nodeName` of the pod. */
  readonly nodeName: string;
}

/** Chaos Mesh's error when none of the picked pods has a named container. */
export const NO_CONTAINER_SELECTED = 'no container is selected';

function requireNames(names: unknown): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some(name => typeof name !== 'string' || name === '')) {
    throw new ChaosplaneError('invalid', 'containerNames: must be a list of non-empty strings', {
      field: 'containerNames',
    });
  }
  return names as string[];
}

/**
 * The containers of a pod a selector targets: the named ones in the pod's order, or the first
 * container when no names are given.
 */
export function containersOf(pod: PodRecord, names: readonly string[]): string[] {
  if (names.length === 0) return pod.containers.slice(0, 1);
  const wanted = new Set(names);
  return pod.containers.filter(container => wanted.has(container));
}

function expand(
  pick: PodPick,
  names: readonly string[],
): { targets: SelectedContainer[]; skipped: Exclusion[] } {
  const targets: SelectedContainer[] = [];
  const skipped: Exclusion[] = [];
  for (const pod of pick.picked) {
    const containers = containersOf(pod, names);
    if (containers.length === 0) {
      const reason =
        names.length === 0 ? 'pod has no container' : `pod has no container named ${names.join(', ')}`;
      skipped.push({ id: podId(pod), reasons: [reason] });
    }
    for (const container of containers) {
      const instanceId = pod.containerIds[pod.containers.indexOf(container)] || undefined;
      targets.push({
        id: `${pod.namespace}/${pod.name}/${container}`,
        ...(instanceId !== undefined ? { instanceId } : {}),
        namespace: pod.namespace,
        pod: pod.name,
        container,
        nodeName: pod.nodeName,
      });
    }
  }
  return { targets, skipped };
}

function noContainerError(names: readonly string[]): ChaosplaneError {
  return new ChaosplaneError(
    'selection',
    names.length === 0
      ? `${NO_CONTAINER_SELECTED}: the selected pods have no containers`
      : `${NO_CONTAINER_SELECTED}: none of the selected pods has a container named ${names.join(', ')}`,
    { field: 'containerNames' },
  );
}

/**
 * The `container` selector kind: Chaos Mesh's `ContainerSelector`. Pods are selected and the mode
 * applied as for `pod`; then each picked pod yields its `containerNames` (or its first container).
 * Pods without a named container are skipped. Target ids are `ns/pod/container`.
 */
export function createContainerSelector(
  source: SelectionSource,
  options: PodSelectorOptions = {},
): ExplainableSelector<ContainerSelector, ContainerTarget> {
  const gates = createNamespaceGates(source, options);
  const random = options.random ?? cryptoRandomIndex;
  const kube = options.kube;
  return {
    kind: 'container',
    ...(kube ? { resolve: (target, signal) => resolveContainerTarget(kube, target, signal) } : {}),
    async select(spec, context) {
      const names = requireNames(spec?.containerNames);
      const pick = await pickPods(spec, context, source, gates, random, false);
      if (pick.failure !== undefined) throw pick.failure;
      const { targets } = expand(pick, names);
      if (targets.length === 0) throw noContainerError(names);
      return targets;
    },
    async explain(spec, context) {
      let pick: PodPick;
      let names: readonly string[];
      try {
        names = requireNames(spec?.containerNames);
        pick = await pickPods(spec, context, source, gates, random, true);
      } catch (error) {
        return explanationOfError('container', error);
      }
      const { targets, skipped } = expand(pick, names);
      const failure = pick.failure ?? (targets.length === 0 ? noContainerError(names) : undefined);
      return {
        kind: 'container',
        namespaces: pick.evaluation.namespaces,
        eligible: pick.evaluation.eligible.map(podId),
        targets,
        excluded: sortExclusions([...pick.evaluation.excluded, ...pick.unpicked, ...skipped]),
        ...(failure !== undefined ? { error: errorSummary(failure) } : {}),
      };
    },
  };
}
