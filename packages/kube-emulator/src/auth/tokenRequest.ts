// SPDX-License-Identifier: Apache-2.0
/**
 * `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token` (TokenRequest, what `kubectl create
 * token` and the kubelet's projected token volumes use): validated and defaulted as the
 * apiserver does (one hour by default, at least ten minutes, at most 2^32 seconds; the API
 * server's audiences when none are given), answered with the token and its expiry.
 */
import { type FieldError, invalid } from '../errors.js';
import { type JsonObject, isMap } from '../types.js';
import { type BoundObjectRef, type ServiceAccountTokens } from './serviceAccountTokens.js';

const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectRef;
}

function expirationErrors(seconds: number): FieldError[] {
  if (seconds < MIN_SECONDS)
    return [
      {
        field: 'spec.expirationSeconds',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
      },
    ];
  if (seconds > MAX_SECONDS)
    return [
      {
        field: 'spec.expirationSeconds',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`,
      },
    ];
  return [];
}

/** Issues the token a TokenRequest asks for. */
export async function serveTokenRequest(
  tokens: ServiceAccountTokens,
  audiences: string[],
  namespace: string,
  name: string,
  body: unknown,
): Promise<JsonObject> {
  const sent = (isMap(body) && isMap(body.spec) ? body.spec : {}) as TokenRequestSpec;
  const spec: TokenRequestSpec = {
    ...sent,
    audiences: sent.audiences?.length ? sent.audiences : audiences,
    expirationSeconds: sent.expirationSeconds ?? 3600,
  };
  const errors = expirationErrors(spec.expirationSeconds!);
  if (errors.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', name, errors);
  const issued = await tokens.createToken(namespace, name, {
    audiences: spec.audiences!,
    expirationSeconds: spec.expirationSeconds!,
    ...(spec.boundObjectRef ? { boundObjectRef: spec.boundObjectRef } : {}),
  });
  const metadata = isMap(body) && isMap(body.metadata) ? body.metadata : {};
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: {
      ...metadata,
      name,
      namespace,
      creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    spec,
    status: issued,
  };
}
