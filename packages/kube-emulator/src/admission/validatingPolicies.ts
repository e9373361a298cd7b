// SPDX-License-Identifier: Apache-2.0
/**
 * The ValidatingAdmissionPolicy admission plugin: every binding (in name order) whose policy
 * exists and whose policy's `matchConstraints` and own `matchResources` cover the write has its
 * policy evaluated (policyEvaluation.ts); each denying decision goes to the binding's
 * `validationActions`: `Warn` is a warning to the client in the API server's words
 * (`Validation failed for ValidatingAdmissionPolicy 'P' with binding 'B': MESSAGE`), `Deny` refuses
 * the write with the first denial (`<resource> "<name>" is forbidden: ValidatingAdmissionPolicy
 * 'P' with binding 'B' denied request: MESSAGE`, with the decision's reason and its code), and
 * `Audit` is accepted and does nothing, as the emulator keeps no audit log. The policies' own
 * kinds are exempt, as in the API server.
 */
import { KubeEmulatorError, type StatusReason, qualifiedResource } from '../errors.js';
import { type ObjectStore } from '../store/objectStore.js';
import { type KubeObject } from '../types.js';
import { evaluatePolicy } from './policyEvaluation.js';
import { matchesResources } from './policyMatch.js';
import {
  ADMISSION_GROUP,
  type AdmissionAttributes,
  type AdmissionRequestContext,
  BINDINGS,
  type BindingSpec,
  POLICIES,
  type PolicySpec,
} from './policyTypes.js';

/** The storage keys of the policies and their bindings. */
const POLICY_KEY = `${POLICIES}.${ADMISSION_GROUP}`;
const BINDING_KEY = `${BINDINGS}.${ADMISSION_GROUP}`;

/**
 * The reasons a validation may name, with their HTTP codes (the API server's reasonToCode). A Map,
 * not an object: a reason such as `constructor` must not find Object's prototype.
 */
const REASON_CODES: ReadonlyMap<string, StatusReason> = new Map<string, StatusReason>([
  ['Forbidden', 'Forbidden'],
  ['Unauthorized', 'Unauthorized'],
  ['RequestEntityTooLarge', 'RequestEntityTooLarge'],
  ['Invalid', 'Invalid'],
]);

/** One denial, with the policy and binding it came from. */
interface Denial {
  policy: string;
  binding: string;
  message: string;
  reason: string;
}

/** The refusal of the first denial, as admission.NewForbidden words it, with the decision's reason. */
function refusal(attrs: AdmissionAttributes, denial: Denial): KubeEmulatorError {
  const cause = `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`;
  const resource = qualifiedResource(attrs.type.group, attrs.type.plural);
  const message =
    attrs.name === ''
      ? `${resource} is forbidden: ${cause}`
      : `${resource} "${attrs.name}" is forbidden: ${cause}`;
  const error = new KubeEmulatorError(REASON_CODES.get(denial.reason) ?? 'Invalid', message, {
    details: {
      name: attrs.name,
      group: attrs.type.group,
      kind: attrs.type.plural,
      causes: [{ message: cause }],
    },
  });
  return error;
}

/** Whether a write is of the policies' own kinds, which no policy applies to. */
function isExempt(attrs: AdmissionAttributes): boolean {
  return attrs.type.group === ADMISSION_GROUP;
}

/** The namespace object of a namespaced write (what `namespaceObject` and `namespaceSelector` read). */
function namespaceOf(store: ObjectStore, attrs: AdmissionAttributes): KubeObject | undefined {
  if (!attrs.type.namespaced || attrs.namespace === undefined) return undefined;
  return store.get('namespaces', attrs.namespace)?.obj;
}

/** The binding's decisions' effects: warnings sent, denials collected. */
function applyActions(
  spec: BindingSpec,
  denial: Denial,
  request: AdmissionRequestContext,
  denials: Denial[],
): void {
  for (const action of spec.validationActions ?? []) {
    if (action === 'Deny') denials.push(denial);
    else if (action === 'Warn')
      request.warn(
        `Validation failed for ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}': ${denial.message}`,
      );
  }
}

/** The denials of one binding's policy for a write: none when either does not cover it. */
function bindingDenials(
  store: ObjectStore,
  binding: KubeObject,
  attrs: AdmissionAttributes,
  namespace: KubeObject | undefined,
): Denial[] {
  const spec = (binding.spec ?? {}) as BindingSpec;
  const policy = spec.policyName === undefined ? undefined : store.get(POLICY_KEY, spec.policyName)?.obj;
  if (!policy) return [];
  const policySpec = (policy.spec ?? {}) as PolicySpec;
  const labels = namespace?.metadata.labels;
  if (!matchesResources(policySpec.matchConstraints, attrs, labels, true)) return [];
  if (!matchesResources(spec.matchResources, attrs, labels, false)) return [];
  return evaluatePolicy(policySpec, attrs, namespace ?? null)
    .filter(decision => decision.action === 'deny')
    .map(decision => ({
      policy: policy.metadata.name!,
      binding: binding.metadata.name!,
      message: decision.message,
      reason: decision.reason,
    }));
}

/**
 * Runs every bound policy on a write: sends the warnings through `request.warn`, and throws the
 * refusal of the first denial (after every warning is sent, as the API server's answer carries
 * them too).
 */
export function admitByPolicies(
  store: ObjectStore,
  attrs: AdmissionAttributes,
  request: AdmissionRequestContext,
): void {
  if (isExempt(attrs)) return;
  const bindings = store.list(BINDING_KEY);
  if (bindings.length === 0) return;
  const namespace = namespaceOf(store, attrs);
  const denials: Denial[] = [];
  const byName = [...bindings].sort((a, b) => (a.obj.metadata.name! < b.obj.metadata.name! ? -1 : 1));
  for (const { obj: binding } of byName) {
    for (const denial of bindingDenials(store, binding, attrs, namespace))
      applyActions(binding.spec as BindingSpec, denial, request, denials);
  }
  if (denials.length > 0) throw refusal(attrs, denials[0]!);
}
