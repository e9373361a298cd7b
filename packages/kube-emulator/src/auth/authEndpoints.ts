// SPDX-License-Identifier: Apache-2.0
/**
 * The API endpoints of authentication and authorization, routed here before the generic
 * resource handler: TokenRequest (`serviceaccounts/NAME/token`), the access and rules reviews,
 * SelfSubjectReview and TokenReview, and the service-account issuer's OIDC discovery
 * (`/.well-known/openid-configuration`, `/openid/v1/jwks`). All are `create` only (GET for
 * discovery); none stores anything.
 */
import { type ServerResponse } from 'node:http';
import { methodNotAllowed, send } from '../http/response.js';
import { type ResourceRoute, type Route } from '../http/routes.js';
import { type JsonObject } from '../types.js';
import {
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  subjectAccessReview,
  tokenReview,
} from './accessReviews.js';
import { type RequestAuth } from './requestAuth.js';
import { serveTokenRequest } from './tokenRequest.js';
import { type UserInfo } from './userInfo.js';

/** One request to an endpoint of this module. */
export interface AuthRequest {
  method: string;
  route: Route;
  user: UserInfo;
  /** The decoded body (only read for POST). */
  body(): Promise<unknown>;
  res: ServerResponse;
}

type Handler = (auth: RequestAuth, r: AuthRequest, route: ResourceRoute) => Promise<JsonObject> | JsonObject;

const REVIEWS: Record<string, Handler> = {
  'authorization.k8s.io/selfsubjectaccessreviews': async (auth, r) =>
    selfSubjectAccessReview(auth, r.user, await r.body()),
  'authorization.k8s.io/selfsubjectrulesreviews': async (auth, r) =>
    selfSubjectRulesReview(auth, r.user, await r.body()),
  'authorization.k8s.io/subjectaccessreviews': async (auth, r) => subjectAccessReview(auth, await r.body()),
  'authorization.k8s.io/localsubjectaccessreviews': async (auth, r, route) =>
    subjectAccessReview(auth, await r.body(), route.namespace ?? ''),
  'authentication.k8s.io/selfsubjectreviews': async (_auth, r) => selfSubjectReview(r.user, await r.body()),
  'authentication.k8s.io/tokenreviews': async (auth, r) => tokenReview(auth, await r.body()),
};

/** The handler of a resource route this module serves, if any. */
function handlerOf(route: ResourceRoute): Handler | undefined {
  if (
    route.group === '' &&
    route.plural === 'serviceaccounts' &&
    route.subresource === 'token' &&
    route.name
  ) {
    return async (auth, r) =>
      serveTokenRequest(
        auth.tokens,
        auth.signer.apiAudiences,
        route.namespace ?? '',
        route.name!,
        await r.body(),
      );
  }
  if (route.version !== 'v1' || route.name !== undefined) return undefined;
  return REVIEWS[`${route.group}/${route.plural}`];
}

/** The OIDC discovery document and key set of the ServiceAccount issuer. */
async function issuerDiscovery(
  auth: RequestAuth,
  path: string,
  apiUrl: string,
): Promise<JsonObject | undefined> {
  const p = path.replace(/\/$/, '');
  if (p === '/.well-known/openid-configuration') {
    return {
      issuer: auth.signer.issuer,
      jwks_uri: `${apiUrl}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }
  if (p === '/openid/v1/jwks') return auth.signer.jwks();
  return undefined;
}

/**
 * Serves the request when it is one of this module's endpoints; false when it is not (the
 * caller routes it on).
 */
export async function serveAuthEndpoint(
  auth: RequestAuth,
  r: AuthRequest,
  /** The URL the API is served at (for the issuer's discovery document). */
  apiUrl: string,
): Promise<boolean> {
  if (r.route.kind === 'nonResource') {
    const doc = await issuerDiscovery(auth, r.route.path, apiUrl);
    if (!doc) return false;
    send(r.res, 200, doc);
    return true;
  }
  if (r.route.kind !== 'resource') return false;
  const handler = handlerOf(r.route);
  if (!handler) return false;
  if (r.method !== 'POST') throw methodNotAllowed();
  send(r.res, 201, await handler(auth, r, r.route));
  return true;
}
