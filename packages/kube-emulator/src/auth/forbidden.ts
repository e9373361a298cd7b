// SPDX-License-Identifier: Apache-2.0
/** The 403 of a request the authorizer did not allow, in the apiserver's words and shape. */
import { KubeEmulatorError } from '../errors.js';
import { type RequestAttributes } from './requestAttributes.js';

/** `User "U" cannot VERB resource "R[/SUB]" in API group "G" in the namespace "NS"` (or at the cluster scope, or a path). */
export function forbiddenMessage(attrs: RequestAttributes): string {
  const user = JSON.stringify(attrs.user.name);
  if (!attrs.resourceRequest) return `User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const what = `User ${user} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)}`;
  return attrs.namespace === ''
    ? `${what} at the cluster scope`
    : `${what} in the namespace ${JSON.stringify(attrs.namespace)}`;
}

/**
 * The 403: `pods is forbidden: …`, `leases.coordination.k8s.io "x" is forbidden: …`, or
 * `forbidden: …` for a path; the authorizer's reason, when it gave one, follows after `: `.
 */
export function forbidden(attrs: RequestAttributes, reason: string): KubeEmulatorError {
  const detail = reason === '' ? forbiddenMessage(attrs) : `${forbiddenMessage(attrs)}: ${reason}`;
  const qualified =
    attrs.resource === ''
      ? ''
      : attrs.apiGroup === ''
        ? attrs.resource
        : `${attrs.resource}.${attrs.apiGroup}`;
  const message =
    qualified === ''
      ? `forbidden: ${detail}`
      : attrs.name === ''
        ? `${qualified} is forbidden: ${detail}`
        : `${qualified} ${JSON.stringify(attrs.name)} is forbidden: ${detail}`;
  const details: { name?: string; group?: string; kind?: string } = {};
  if (attrs.name !== '') details.name = attrs.name;
  if (attrs.apiGroup !== '') details.group = attrs.apiGroup;
  if (attrs.resource !== '') details.kind = attrs.resource;
  return new KubeEmulatorError('Forbidden', message, { details });
}
