// SPDX-License-Identifier: Apache-2.0
/** Who a request comes from, as the apiserver's authenticators say it (`user.Info`). */

/** An authenticated (or anonymous) user. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Members of this group pass every authorization check (the apiserver's privileged group). */
export const SYSTEM_MASTERS = 'system:masters';
/** Every authenticated user is in this group. */
export const ALL_AUTHENTICATED = 'system:authenticated';
/** Requests without credentials are this group's only member. */
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
/** The user of a request without credentials. */
export const ANONYMOUS = 'system:anonymous';
/** The prefix of a ServiceAccount's user name: `system:serviceaccount:NS:NAME`. */
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
/** The group of every ServiceAccount. */
export const ALL_SERVICE_ACCOUNTS = 'system:serviceaccounts';

/** The user the emulator's own kubeconfig authenticates as (kubeadm's admin, before 1.29). */
export const ADMIN_USER: UserInfo = {
  name: 'kubernetes-admin',
  groups: [SYSTEM_MASTERS, ALL_AUTHENTICATED],
};

/** The anonymous user. */
export const ANONYMOUS_USER: UserInfo = { name: ANONYMOUS, groups: [ALL_UNAUTHENTICATED] };

/** `system:serviceaccount:NS:NAME`. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/** The namespace and name of a ServiceAccount user name, or undefined for any other user. */
export function splitServiceAccountUserName(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...more] = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!namespace || !name || more.length > 0) return undefined;
  return { namespace, name };
}

/** The groups a ServiceAccount's user is in (without `system:authenticated`). */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS, `system:serviceaccounts:${namespace}`];
}

/** Adds `system:authenticated` when missing, as the apiserver's authenticator chain does. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(ALL_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}
