// SPDX-License-Identifier: Apache-2.0
/**
 * Impersonation (`kubectl --as`, `--as-group`, `--as-uid`): the `Impersonate-*` headers, each
 * authorized as the `impersonate` verb on users, groups, serviceaccounts, uids or userextras for
 * the requesting user; the request then goes on as the impersonated user, with the groups the
 * apiserver adds (a ServiceAccount's own groups when none are asked for, and
 * `system:authenticated`).
 */
import { type IncomingMessage } from 'node:http';
import { KubeEmulatorError } from '../errors.js';
import { forbidden } from './forbidden.js';
import { type Decision } from './rbacAuthorizer.js';
import { type RequestAttributes } from './requestAttributes.js';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  type UserInfo,
  serviceAccountGroups,
  splitServiceAccountUserName,
} from './userInfo.js';

const EXTRA_PREFIX = 'impersonate-extra-';

/** The values of a header, each repetition apart. */
function values(req: IncomingMessage, name: string): string[] {
  return req.headersDistinct[name] ?? [];
}

/** `impersonate-extra-KEY` headers: KEY unescaped → values. */
function extras(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [header, list] of Object.entries(req.headersDistinct)) {
    if (!header.startsWith(EXTRA_PREFIX) || !list) continue;
    out[decodeURIComponent(header.slice(EXTRA_PREFIX.length))] = list;
  }
  return out;
}

/** The attributes of one impersonation check. */
function impersonating(
  requestor: UserInfo,
  resource: string,
  name: string,
  extra: Partial<RequestAttributes> = {},
): RequestAttributes {
  return {
    user: requestor,
    verb: 'impersonate',
    resourceRequest: true,
    path: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource,
    subresource: '',
    name,
    ...extra,
  };
}

/** The impersonated user's groups, with those the apiserver adds. */
function finalGroups(name: string, groups: string[], saNamespace: string | undefined): string[] {
  const out = [...groups];
  if (saNamespace !== undefined && groups.length === 0) out.push(...serviceAccountGroups(saNamespace));
  const implied = name === ANONYMOUS ? ALL_UNAUTHENTICATED : ALL_AUTHENTICATED;
  if (!out.includes(implied)) out.push(implied);
  return out;
}

/**
 * The user a request acts as: `requestor`, or the one its `Impersonate-*` headers name once
 * each is allowed (403 otherwise, naming what was refused).
 */
export function impersonate(
  req: IncomingMessage,
  requestor: UserInfo,
  authorize: (attrs: RequestAttributes) => Decision,
): UserInfo {
  const name = values(req, 'impersonate-user')[0];
  const groups = values(req, 'impersonate-group');
  const uid = values(req, 'impersonate-uid')[0];
  const extra = extras(req);
  if (name === undefined) {
    if (groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0)
      throw new KubeEmulatorError(
        'InternalError',
        'requested impersonation of groups, uid or extra without impersonating a user',
      );
    return requestor;
  }
  const sa = splitServiceAccountUserName(name);
  const checks: RequestAttributes[] = [
    sa
      ? impersonating(requestor, 'serviceaccounts', sa.name, { namespace: sa.namespace })
      : impersonating(requestor, 'users', name),
    ...groups.map(g => impersonating(requestor, 'groups', g)),
    ...(uid !== undefined
      ? [impersonating(requestor, 'uids', uid, { apiGroup: 'authentication.k8s.io' })]
      : []),
    ...Object.entries(extra).flatMap(([key, list]) =>
      list.map(v =>
        impersonating(requestor, 'userextras', v, { apiGroup: 'authentication.k8s.io', subresource: key }),
      ),
    ),
  ];
  for (const attrs of checks) {
    const decision = authorize(attrs);
    if (!decision.allowed) throw forbidden(attrs, decision.reason);
  }
  const user: UserInfo = { name, groups: finalGroups(name, groups, sa?.namespace) };
  if (uid !== undefined) user.uid = uid;
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
