// SPDX-License-Identifier: Apache-2.0
// The one code path that decides which pods are eligible: selection and explain() both run it;
// explain() only asks it to look at every pod and keep every reason.
import { ChaosplaneError, type SelectionContext } from '@chaosplane/sdk';
import type { PodSelectorSpec } from '@chaosplane/sdk/framework';
import { compilePodSpec, podMismatchReasons, type CompiledPodSpec } from '../match/compilePodSpec.js';
import type { PhaseRule } from '../match/phaseRule.js';
import { podId, type PodRecord } from '../model/records.js';
import type { SelectionSource } from './SelectionSource.js';
import type { NamespaceGates } from './namespaceGates.js';

/** Why one pod (or container) was not selected. */
export interface Exclusion {
  /** `ns/pod` (or `ns/pod/container`). */
  readonly id: string;
  /** Every reason found, gates first. */
  readonly reasons: readonly string[];
}

/** What happened to one namespace the selector considered. */
export interface NamespaceVerdict {
  readonly name: string;
  /** False when a gate excluded the whole namespace. */
  readonly eligible: boolean;
  /** The gate's reason when not eligible. */
  readonly reason?: string;
}

/** The eligible pods (before the mode) and, when explaining, what was excluded and why. */
export interface PodEvaluation {
  /** Pods passing every gate and check, sorted by id. */
  readonly eligible: PodRecord[];
  /** Filled only when explaining. */
  readonly excluded: Exclusion[];
  /** The namespaces considered. */
  readonly namespaces: NamespaceVerdict[];
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new ChaosplaneError('aborted', 'selection was cancelled', { cause: signal.reason });
  }
}

/** The gate that applies to single pods: terminating pods and the phase rule. */
/**
 * Why a pod named in the `pods` map is left out for its phase. The map short-circuits every
 * other field (Chaos Mesh), so podPhaseSelectors never narrows it: a Running pod is always
 * taken. Only Chaosplane's non-Running gate applies, and naming a phase as an include is how a
 * non-Running pod is opted in, as everywhere else.
 */
function explicitPodPhaseReason(phase: string, rule: PhaseRule): string | undefined {
  if (phase === 'Running' || rule.includes.has(phase)) return undefined;
  const shown = phase === '' ? '(none)' : phase;
  return `phase ${shown} is not selected (a pod that is not Running is selected only when podPhaseSelectors names its phase)`;
}

function podGateReasons(
  pod: PodRecord,
  phaseReasonOf: (phase: string) => string | undefined,
  all: boolean,
): string[] {
  const reasons: string[] = [];
  if (pod.terminating) {
    reasons.push('pod is terminating');
    if (!all) return reasons;
  }
  const phaseReason = phaseReasonOf(pod.phase);
  if (phaseReason !== undefined) reasons.push(phaseReason);
  return reasons;
}

/** The names of the nodes `nodes`/`nodeSelectors` select (their union), or undefined for "any". */
async function selectedNodes(
  spec: CompiledPodSpec,
  source: SelectionSource,
  signal: AbortSignal,
): Promise<Set<string> | undefined> {
  if (spec.nodeNames.length === 0 && spec.nodeLabels.length === 0) return undefined;
  const names = new Set<string>();
  for (const name of spec.nodeNames) {
    const node = await source.getNode(name, signal);
    if (node === undefined) {
      throw new ChaosplaneError('selection', `cannot parse node selector, msg: nodes "${name}" not found`, {
        field: 'selector.nodes',
      });
    }
    names.add(node.name);
  }
  if (spec.nodeLabels.length > 0) {
    const labelSelector = spec.nodeLabels.map(requirement => requirement.text).join(',');
    for (const node of await source.listNodes({ labelSelector, requirements: spec.nodeLabels }, signal)) {
      names.add(node.name);
    }
  }
  return names;
}

interface EvaluationState {
  readonly eligible: PodRecord[];
  readonly excluded: Exclusion[];
  readonly namespaces: NamespaceVerdict[];
}

async function evaluateExplicitPods(
  phaseRule: PhaseRule,
  pods: ReadonlyMap<string, readonly string[]>,
  source: SelectionSource,
  gates: NamespaceGates,
  signal: AbortSignal,
  state: EvaluationState,
  explain: boolean,
): Promise<void> {
  const phaseReasonOf = (phase: string) => explicitPodPhaseReason(phase, phaseRule);
  for (const [namespace, names] of pods) {
    throwIfAborted(signal);
    const gateReason = gates.scopeReason(namespace) ?? (await gates.exclusionReason(namespace, signal));
    state.namespaces.push(
      gateReason === undefined
        ? { name: namespace, eligible: true }
        : { name: namespace, eligible: false, reason: gateReason },
    );
    for (const name of names) {
      const id = `${namespace}/${name}`;
      if (gateReason !== undefined) {
        if (explain) state.excluded.push({ id, reasons: [gateReason] });
        continue;
      }
      const pod = await source.getPod(namespace, name, signal);
      if (pod === undefined) {
        if (explain) state.excluded.push({ id, reasons: ['pod does not exist'] });
        continue;
      }
      const reasons = podGateReasons(pod, phaseReasonOf, explain);
      if (reasons.length === 0) state.eligible.push(pod);
      else if (explain) state.excluded.push({ id, reasons });
    }
  }
}

async function evaluateNamespaces(
  spec: CompiledPodSpec,
  context: SelectionContext,
  source: SelectionSource,
  gates: NamespaceGates,
  state: EvaluationState,
  explain: boolean,
): Promise<void> {
  const { signal } = context;
  // Chaos Mesh's defaulting webhook fills an empty list with the chaos object's namespace.
  const namespaces = spec.namespaces.length > 0 ? spec.namespaces : [context.namespace];
  gates.checkScope(namespaces);
  const nodeSet = await selectedNodes(spec, source, signal);
  const phaseReasonOf = (phase: string) => spec.phase.exclusionReason(phase);
  const hints = {
    ...(spec.labelSelector !== '' ? { labelSelector: spec.labelSelector } : {}),
    ...(spec.fieldSelector !== '' ? { fieldSelector: spec.fieldSelector } : {}),
  };
  for (const namespace of namespaces) {
    throwIfAborted(signal);
    const gateReason = await gates.exclusionReason(namespace, signal);
    if (gateReason !== undefined) {
      state.namespaces.push({ name: namespace, eligible: false, reason: gateReason });
      if (explain) {
        for (const pod of await source.listPods(namespace, {}, signal)) {
          state.excluded.push({ id: podId(pod), reasons: [gateReason] });
        }
      }
      continue;
    }
    state.namespaces.push({ name: namespace, eligible: true });
    // Explaining needs every pod of the namespace, so no server-side filtering then.
    for (const pod of await source.listPods(namespace, explain ? {} : hints, signal)) {
      const reasons = podGateReasons(pod, phaseReasonOf, explain);
      if (explain || reasons.length === 0) reasons.push(...podMismatchReasons(pod, spec, nodeSet, explain));
      if (reasons.length === 0) state.eligible.push(pod);
      else if (explain) state.excluded.push({ id: podId(pod), reasons });
    }
  }
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Evaluates a PodSelectorSpec: gates, then (unless `pods` short-circuits) namespaces × labels ×
 * expressions × annotations × fields × nodes × phases, all ANDed.
 * @param explain - look at every pod in the namespaces considered and keep every exclusion reason.
 * @throws ChaosplaneError `invalid` for a bad spec, `selection` for scope violations and unknown
 *   nodes, `aborted` when the signal fires.
 */
export async function evaluatePods(
  rawSpec: PodSelectorSpec | undefined,
  context: SelectionContext,
  source: SelectionSource,
  gates: NamespaceGates,
  explain: boolean,
): Promise<PodEvaluation> {
  const spec = compilePodSpec(rawSpec);
  throwIfAborted(context.signal);
  const state: EvaluationState = { eligible: [], excluded: [], namespaces: [] };
  if (spec.explicitPods !== undefined) {
    await evaluateExplicitPods(spec.phase, spec.explicitPods, source, gates, context.signal, state, explain);
  } else {
    await evaluateNamespaces(spec, context, source, gates, state, explain);
  }
  const withIds = state.eligible.map(pod => ({ id: podId(pod), pod }));
  withIds.sort(byId);
  state.excluded.sort(byId);
  return {
    eligible: withIds.map(entry => entry.pod),
    excluded: state.excluded,
    namespaces: state.namespaces,
  };
}
