// SPDX-License-Identifier: Apache-2.0
/**
 * The request pipeline's authentication and authorization, in the apiserver's order:
 * authenticate (401), impersonate (403 naming what may not be impersonated), authorize the
 * request's attributes (403 with the apiserver's message). `RBAC` authorization is the default;
 * `AlwaysAllow` lets every authenticated or anonymous request through, as before RBAC existed.
 */
import { type IncomingMessage } from 'node:http';
import { type ObjectStore } from '../store/objectStore.js';
import { type Authenticate, createAuthenticator } from './authenticate.js';
import { forbidden } from './forbidden.js';
import { impersonate } from './impersonate.js';
import { type PolicyRule } from './policyRules.js';
import { type Decision, authorize, isPrivileged, rbacRulesFor } from './rbacAuthorizer.js';
import { type RequestAttributes, requestAttributes } from './requestAttributes.js';
import { type ServiceAccountTokens, createServiceAccountTokens } from './serviceAccountTokens.js';
import { type TokenSigner } from './tokenSigner.js';
import { type UserInfo } from './userInfo.js';

/** Which authorizer decides: Kubernetes RBAC (the default) or none. */
export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

/** What a user may do in a namespace, as SelfSubjectRulesReview reports it. */
export interface UserRules {
  resourceRules: PolicyRule[];
  nonResourceRules: PolicyRule[];
  errors: string[];
}

/** Authentication and authorization of one emulator. */
export interface RequestAuth {
  readonly mode: AuthorizationMode;
  readonly signer: TokenSigner;
  readonly tokens: ServiceAccountTokens;
  authenticate: Authenticate;
  /** The decision for a set of attributes (access reviews use it too). */
  authorize(attrs: RequestAttributes): Decision;
  /** The user a request acts as, once authenticated, impersonated and authorized. */
  admit(req: IncomingMessage, path: string, query: URLSearchParams): Promise<UserInfo>;
  /** The rules of a user in a namespace (cluster-wide rules included). */
  rulesFor(user: UserInfo, namespace: string): UserRules;
}

const ALLOW_ALL: Decision = { allowed: true, reason: '' };

/** The rules of the privileged group: everything. */
const EVERYTHING: UserRules = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  errors: [],
};

/** Creates the pipeline's authentication and authorization. */
export function createRequestAuth(options: {
  store: ObjectStore;
  adminToken: string;
  signer: TokenSigner;
  mode?: AuthorizationMode;
}): RequestAuth {
  const mode = options.mode ?? 'RBAC';
  const tokens = createServiceAccountTokens(options.store, options.signer);
  const authenticate = createAuthenticator(options.adminToken, tokens);
  const decide = (attrs: RequestAttributes): Decision =>
    mode === 'AlwaysAllow' ? ALLOW_ALL : authorize(options.store, attrs);
  return {
    mode,
    signer: options.signer,
    tokens,
    authenticate,
    authorize: decide,
    async admit(req, path, query) {
      const requestor = await authenticate(req.headers.authorization);
      const user = impersonate(req, requestor, decide);
      const attrs = requestAttributes(user, req.method ?? 'GET', path, query);
      const decision = decide(attrs);
      if (!decision.allowed) throw forbidden(attrs, decision.reason);
      return user;
    },
    rulesFor(user, namespace) {
      const rbac = rbacRulesFor(options.store, user, namespace);
      const base = isPrivileged(user) || mode === 'AlwaysAllow' ? EVERYTHING : undefined;
      return {
        resourceRules: [
          ...(base?.resourceRules ?? []),
          ...rbac.rules.filter(r => (r.resources ?? []).length > 0),
        ],
        nonResourceRules: [
          ...(base?.nonResourceRules ?? []),
          ...rbac.rules.filter(r => (r.nonResourceURLs ?? []).length > 0),
        ],
        errors: rbac.errors,
      };
    },
  };
}
