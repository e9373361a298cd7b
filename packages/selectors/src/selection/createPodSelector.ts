// SPDX-License-Identifier: Apache-2.0
import {
  ChaosplaneError,
  type KubeClient,
  type PodSelector,
  type PodTarget,
  type SelectedTarget,
  type SelectionContext,
} from '@chaosplane/sdk';
import { cryptoRandomIndex, pickByMode, type RandomIndex } from '../mode/pickByMode.js';
import { podId, type PodRecord } from '../model/records.js';
import { validateModeValue, type ModeValue } from '../spec/validateModeValue.js';
import type { SelectionSource } from './SelectionSource.js';
import { evaluatePods, type Exclusion, type PodEvaluation } from './evaluatePods.js';
import { errorSummary, type ExplainableSelector, type SelectionExplanation } from './explanation.js';
import { createNamespaceGates, type NamespaceGates, type SelectionGateOptions } from './namespaceGates.js';
import { resolvePodTarget } from './resolveTargets.js';

/** Options of the pod and container selectors. */
export interface PodSelectorOptions extends SelectionGateOptions {
  /** Random source for the modes; defaults to `crypto.randomInt`. Tests may pass their own. */
  readonly random?: RandomIndex;
  /**
   * Reads targets back before each apply or recover (a GET of the pod); without it the
   * selectors only select (dry runs, tools).
   */
  readonly kube?: KubeClient;
}

/** A selected pod: the record id plus what callers need to reach it. */
export interface SelectedPod extends SelectedTarget {
  readonly namespace: string;
  readonly name: string;
  /** `spec.nodeName` ('' when unscheduled). */
  readonly nodeName: string;
}

/** The result of selecting pods: the eligible pods, the mode's pick, the explanation parts. */
export interface PodPick {
  readonly evaluation: PodEvaluation;
  readonly picked: readonly PodRecord[];
  /** Eligible pods the mode left out, with the reason (only when explaining). */
  readonly unpicked: readonly Exclusion[];
  /** Set when nothing is picked: "no pod is selected", which `select` throws. */
  readonly failure?: ChaosplaneError;
}

/** Chaos Mesh's error when nothing matches; the engine reports it on the chaos object. */
export const NO_POD_SELECTED = 'no pod is selected';

function describeMode(modeValue: ModeValue): string {
  return modeValue.value === undefined
    ? `mode ${modeValue.mode}`
    : `mode ${modeValue.mode} with value ${modeValue.value}`;
}

/**
 * Shared by the pod and container selectors: validate mode and value, evaluate, apply the mode.
 * Nothing picked is not thrown but returned as `failure`, so explain() can still show why.
 * @throws ChaosplaneError `invalid` for a bad spec, `selection`/`aborted` from the evaluation.
 */
export async function pickPods(
  spec: PodSelector,
  context: SelectionContext,
  source: SelectionSource,
  gates: NamespaceGates,
  random: RandomIndex,
  explain: boolean,
): Promise<PodPick> {
  if (typeof spec !== 'object' || spec === null) {
    throw new ChaosplaneError(
      'invalid',
      'the selector spec must be an object with selector, mode and value',
      {
        field: 'selector',
      },
    );
  }
  const modeValue = validateModeValue(spec.mode, spec.value);
  const evaluation = await evaluatePods(spec.selector, context, source, gates, explain);
  if (evaluation.eligible.length === 0) {
    // Say why when gates refused namespaces (protected, not opted in): "no pod is selected" alone
    // would send the user looking at their labels.
    const refused = evaluation.namespaces
      .filter(n => !n.eligible && n.reason !== undefined)
      .map(n => n.reason!);
    const message = refused.length > 0 ? `${NO_POD_SELECTED}: ${refused.join('; ')}` : NO_POD_SELECTED;
    return { evaluation, picked: [], unpicked: [], failure: new ChaosplaneError('selection', message) };
  }
  const picked = pickByMode(evaluation.eligible, modeValue, random);
  const pickedSet = new Set(picked);
  const reason = `not picked by ${describeMode(modeValue)} (${picked.length} of ${evaluation.eligible.length} eligible)`;
  const unpicked = explain
    ? evaluation.eligible
        .filter(pod => !pickedSet.has(pod))
        .map(pod => ({ id: podId(pod), reasons: [reason] }))
    : [];
  if (picked.length === 0) {
    const failure = new ChaosplaneError(
      'selection',
      `${NO_POD_SELECTED}: ${describeMode(modeValue)} picked 0 of ${evaluation.eligible.length} eligible pods`,
    );
    return { evaluation, picked, unpicked, failure };
  }
  return { evaluation, picked, unpicked };
}

/**
 * An explanation for a selection that threw before it could look at pods (a bad spec, a scope
 * violation). Cancellation and non-Chaosplane errors are rethrown.
 */
export function explanationOfError(kind: string, error: unknown): SelectionExplanation {
  if (!ChaosplaneError.is(error) || error.kind === 'aborted') throw error;
  return { kind, namespaces: [], eligible: [], targets: [], excluded: [], error: errorSummary(error) };
}

/** Sorts exclusions by id. */
export function sortExclusions(exclusions: Exclusion[]): Exclusion[] {
  return exclusions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function toPodTarget(pod: PodRecord): SelectedPod {
  return {
    id: podId(pod),
    ...(pod.uid !== '' ? { instanceId: pod.uid } : {}),
    namespace: pod.namespace,
    name: pod.name,
    nodeName: pod.nodeName,
  };
}

/**
 * The `pod` selector kind: Chaos Mesh's `PodSelector` over a {@link SelectionSource} (the shared
 * cache in the operator), with the safety gates of `options`. Target ids are `ns/pod`.
 */
export function createPodSelector(
  source: SelectionSource,
  options: PodSelectorOptions = {},
): ExplainableSelector<PodSelector, PodTarget> {
  const gates = createNamespaceGates(source, options);
  const random = options.random ?? cryptoRandomIndex;
  const kube = options.kube;
  return {
    kind: 'pod',
    ...(kube ? { resolve: (target, signal) => resolvePodTarget(kube, target, signal) } : {}),
    async select(spec, context) {
      const { picked, failure } = await pickPods(spec, context, source, gates, random, false);
      if (failure !== undefined) throw failure;
      return picked.map(toPodTarget);
    },
    async explain(spec, context) {
      let pick: PodPick;
      try {
        pick = await pickPods(spec, context, source, gates, random, true);
      } catch (error) {
        return explanationOfError('pod', error);
      }
      const { evaluation, picked, unpicked, failure } = pick;
      return {
        kind: 'pod',
        namespaces: evaluation.namespaces,
        eligible: evaluation.eligible.map(podId),
        targets: picked.map(toPodTarget),
        excluded: sortExclusions([...evaluation.excluded, ...unpicked]),
        ...(failure !== undefined ? { error: errorSummary(failure) } : {}),
      };
    },
  };
}
