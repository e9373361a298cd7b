// SPDX-License-Identifier: Apache-2.0
/**
 * The parts of admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and
 * ValidatingAdmissionPolicyBinding the emulator enforces, and what a write hands to them.
 */
import { type UserInfo } from '../auth/userInfo.js';
import { type LabelSelectorObject } from '../selectors/labelSelectorObject.js';
import { type KubeObject, type ResourceType } from '../types.js';

/** The API group of the policies. */
export const ADMISSION_GROUP = 'admissionregistration.k8s.io';
/** The plural of ValidatingAdmissionPolicy. */
export const POLICIES = 'validatingadmissionpolicies';
/** The plural of ValidatingAdmissionPolicyBinding. */
export const BINDINGS = 'validatingadmissionpolicybindings';

/** An admission operation. */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** NamedRuleWithOperations. */
export interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
  resourceNames?: string[];
}

/** MatchResources (a policy's `matchConstraints`, a binding's `matchResources`). */
export interface MatchResources {
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

/** One entry of `spec.validations`. */
export interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}

/** A named expression: `spec.matchConditions[]` and `spec.variables[]`. */
export interface NamedExpression {
  name: string;
  expression: string;
}

/** ValidatingAdmissionPolicySpec. */
export interface PolicySpec {
  paramKind?: unknown;
  matchConstraints?: MatchResources;
  validations?: Validation[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchConditions?: NamedExpression[];
  variables?: NamedExpression[];
}

/** ValidatingAdmissionPolicyBindingSpec. */
export interface BindingSpec {
  policyName?: string;
  paramRef?: unknown;
  matchResources?: MatchResources;
  validationActions?: Array<'Deny' | 'Warn' | 'Audit'>;
}

/** What a write is, as admission sees it (admission.Attributes). */
export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  /** The version of the request (objects are in it). */
  version: string;
  subresource?: string;
  namespace?: string;
  name: string;
  /** The object to store (null on DELETE), in the request's version. */
  object: KubeObject | null;
  /** The stored object (null on CREATE). */
  oldObject: KubeObject | null;
  user?: UserInfo;
  dryRun: boolean;
}

/** Who writes, and where the policies' warnings go: the HTTP layer's part of a write. */
export interface AdmissionRequestContext {
  user?: UserInfo;
  /** Receives a warning for the client (a `Warning: 299 - "…"` header). */
  warn(text: string): void;
}
