// SPDX-License-Identifier: Apache-2.0
/**
 * Authentication, as kube-apiserver's chain: the admin's bearer token (the emulator's
 * kubeconfig), then ServiceAccount tokens; a request with no credentials is
 * `system:anonymous` (anonymous auth is on, as in kube-apiserver's default), and a bearer token
 * nobody recognises is a 401 `Unauthorized`, never anonymous.
 */
import { timingSafeEqual } from 'node:crypto';
import { KubeEmulatorError } from '../errors.js';
import { type ServiceAccountTokens } from './serviceAccountTokens.js';
import { ADMIN_USER, ANONYMOUS_USER, type UserInfo, withAuthenticatedGroup } from './userInfo.js';

/** The authenticator of one emulator. */
export type Authenticate = (authorization: string | undefined) => Promise<UserInfo>;

/** The 401 the apiserver answers for a credential it does not accept. */
export function unauthorized(): KubeEmulatorError {
  return new KubeEmulatorError('Unauthorized', 'Unauthorized');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of an `Authorization` header; undefined for no header or another scheme. */
function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return match?.[1]?.trim();
}

/** Creates the authenticator. */
export function createAuthenticator(adminToken: string, tokens: ServiceAccountTokens): Authenticate {
  return async authorization => {
    const token = bearerToken(authorization);
    if (token === undefined) return ANONYMOUS_USER;
    if (sameSecret(token, adminToken)) return ADMIN_USER;
    const user = token.split('.').length === 3 ? await tokens.authenticate(token) : undefined;
    if (!user) throw unauthorized();
    return withAuthenticatedGroup(user);
  };
}
