// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError, type ChaosplaneErrorKind } from '@chaosplane/sdk';

/** What an API server answer carried, kept as the `cause` of the ChaosplaneError. */
export interface KubeApiFailure {
  /** HTTP status code (409 conflict, 410 gone, 429, 5xx…). */
  statusCode: number;
  /** The `reason` of the `Status` body, if any. */
  reason?: string;
}

/** The apiserver's authorization denial: `cannot VERB resource "R[/SUB]" in API group "G" (in the namespace "NS"|at the cluster scope)`. */
const DENIAL =
  /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)/;

/**
 * What to grant for a 403 the authorizer answered: the RBAC rule that would have allowed the
 * request, so the message says how to fix the role, not only what was refused.
 */
export function forbiddenHint(message: string | undefined): string | undefined {
  const denial = DENIAL.exec(message ?? '');
  if (!denial) return undefined;
  const [, verb, resource, group, namespace] = denial;
  const rule = `{apiGroups: ["${group}"], resources: ["${resource}"], verbs: ["${verb}"]}`;
  const where =
    namespace === undefined
      ? 'in a ClusterRole bound with a ClusterRoleBinding'
      : `in a Role or ClusterRole bound in namespace "${namespace}"`;
  return `RBAC: grant the rule ${rule} ${where} (deploy/rbac, or the plugin's aggregated role)`;
}

/** Maps an HTTP failure to a ChaosplaneError: 404 not-found, 409 conflict, else internal (a 403 with the rule to grant). */
export function kubeApiError(
  method: string,
  path: string,
  statusCode: number,
  body: unknown,
): ChaosplaneError {
  const status = (typeof body === 'object' && body !== null ? body : {}) as {
    message?: string;
    reason?: string;
  };
  const kind: ChaosplaneErrorKind =
    statusCode === 404 ? 'not-found' : statusCode === 409 ? 'conflict' : 'internal';
  const failure: KubeApiFailure = { statusCode };
  if (status.reason) failure.reason = status.reason;
  const hint = statusCode === 403 ? forbiddenHint(status.message) : undefined;
  const text = `${method} ${path}: ${statusCode} ${status.message ?? status.reason ?? ''}`.trim();
  return new ChaosplaneError(kind, hint === undefined ? text : `${text}; ${hint}`, { cause: failure });
}

/** The HTTP status code behind an error from the kube client, if there is one. */
export function kubeStatusCode(error: unknown): number | undefined {
  if (!ChaosplaneError.is(error)) return undefined;
  const cause = error.cause as Partial<KubeApiFailure> | undefined;
  return typeof cause?.statusCode === 'number' ? cause.statusCode : undefined;
}

/** True for a 409 Conflict (stale resourceVersion, or an object that already exists). */
export function isConflict(error: unknown): boolean {
  return kubeStatusCode(error) === 409;
}

/** True for a 404 Not Found. */
export function isNotFound(error: unknown): boolean {
  return kubeStatusCode(error) === 404;
}
