// SPDX-License-Identifier: Apache-2.0
/**
 * The review APIs, answered from the same authorizer as requests: SelfSubjectAccessReview
 * (`kubectl auth can-i`), SubjectAccessReview and LocalSubjectAccessReview (someone else's
 * access), SelfSubjectRulesReview (`kubectl auth can-i --list`), SelfSubjectReview
 * (`kubectl auth whoami`) and TokenReview. Each is created and answered, never stored.
 */
import { type FieldError, invalid } from '../errors.js';
import { type JsonObject, isMap } from '../types.js';
import { type RequestAttributes } from './requestAttributes.js';
import { type RequestAuth } from './requestAuth.js';
import { type UserInfo } from './userInfo.js';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** The attributes an access review asks about. */
function reviewAttributes(user: UserInfo, spec: ReviewSpec): RequestAttributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      resourceRequest: true,
      path: '',
      apiGroup: r.group ?? '',
      apiVersion: r.version ?? '',
      namespace: r.namespace ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      name: r.name ?? '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return {
    user,
    verb: n.verb ?? '',
    resourceRequest: false,
    path: n.path ?? '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

/** Exactly one of resourceAttributes and nonResourceAttributes, as the apiserver's validation says. */
function attributeErrors(spec: ReviewSpec): FieldError[] {
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    return [
      {
        field: 'spec.nonResourceAttributes',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${JSON.stringify(spec.nonResourceAttributes)}: cannot be specified in combination with resourceAttributes`,
      },
    ];
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    return [
      {
        field: 'spec.resourceAttributes',
        type: 'FieldValueRequired',
        detail:
          'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
      },
    ];
  }
  return [];
}

function specOf(body: unknown): ReviewSpec {
  return (isMap(body) && isMap(body.spec) ? body.spec : {}) as ReviewSpec;
}

function answer(
  kind: string,
  group: string,
  body: unknown,
  status: JsonObject,
  namespace?: string,
): JsonObject {
  const metadata = isMap(body) && isMap(body.metadata) ? { ...body.metadata } : {};
  if (namespace !== undefined) metadata.namespace = namespace;
  return {
    kind,
    apiVersion: `${group}/v1`,
    metadata: { creationTimestamp: null, ...metadata },
    spec: specOf(body),
    status,
  };
}

function decisionStatus(auth: RequestAuth, attrs: RequestAttributes): JsonObject {
  const decision = auth.authorize(attrs);
  const status: JsonObject = { allowed: decision.allowed };
  if (decision.reason !== '') status.reason = decision.reason;
  return status;
}

const AUTHZ = 'authorization.k8s.io';

/** `POST selfsubjectaccessreviews`: may the caller do this? */
export function selfSubjectAccessReview(auth: RequestAuth, user: UserInfo, body: unknown): JsonObject {
  const spec = specOf(body);
  const errors = attributeErrors(spec);
  if (errors.length > 0) throw invalid('SelfSubjectAccessReview', AUTHZ, '', errors);
  return answer('SelfSubjectAccessReview', AUTHZ, body, decisionStatus(auth, reviewAttributes(user, spec)));
}

/** The user a SubjectAccessReview names. */
function subjectOf(spec: ReviewSpec): UserInfo {
  const user: UserInfo = { name: spec.user ?? '', groups: spec.groups ?? [] };
  if (spec.uid) user.uid = spec.uid;
  if (spec.extra) user.extra = spec.extra;
  return user;
}

/** `POST subjectaccessreviews` (or a namespace's `localsubjectaccessreviews`): may that user do this? */
export function subjectAccessReview(auth: RequestAuth, body: unknown, namespace?: string): JsonObject {
  const spec = specOf(body);
  const kind = namespace === undefined ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
  const errors = attributeErrors(spec);
  if (!spec.user && (spec.groups ?? []).length === 0) {
    errors.push({
      field: 'spec.user',
      type: 'FieldValueInvalid',
      detail: 'Invalid value: "": at least one of user or group must be specified',
    });
  }
  if (namespace !== undefined && spec.resourceAttributes && spec.resourceAttributes.namespace !== namespace) {
    errors.push({
      field: 'spec.resourceAttributes.namespace',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${JSON.stringify(spec.resourceAttributes.namespace ?? '')}: must match metadata.namespace`,
    });
  }
  if (errors.length > 0) throw invalid(kind, AUTHZ, '', errors);
  return answer(kind, AUTHZ, body, decisionStatus(auth, reviewAttributes(subjectOf(spec), spec)), namespace);
}

/** `POST selfsubjectrulesreviews`: what may the caller do in a namespace? */
export function selfSubjectRulesReview(auth: RequestAuth, user: UserInfo, body: unknown): JsonObject {
  const namespace = (specOf(body) as { namespace?: string }).namespace ?? '';
  const rules = auth.rulesFor(user, namespace);
  const status: JsonObject = {
    resourceRules: rules.resourceRules.map(r => ({
      verbs: r.verbs ?? [],
      apiGroups: r.apiGroups ?? [],
      resources: r.resources ?? [],
      ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
    })),
    nonResourceRules: rules.nonResourceRules.map(r => ({
      verbs: r.verbs ?? [],
      nonResourceURLs: r.nonResourceURLs ?? [],
    })),
    incomplete: false,
  };
  if (rules.errors.length > 0) status.evaluationError = rules.errors.join(', ');
  return answer('SelfSubjectRulesReview', AUTHZ, body, status);
}

/** The user as `status.userInfo` / `status.user` show it. */
function userInfoJson(user: UserInfo): JsonObject {
  return {
    username: user.name,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups,
    ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  };
}

/** `POST selfsubjectreviews`: who is the caller? */
export function selfSubjectReview(user: UserInfo, body: unknown): JsonObject {
  const metadata = isMap(body) && isMap(body.metadata) ? body.metadata : {};
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null, ...metadata },
    status: { userInfo: userInfoJson(user) },
  };
}

/** `POST tokenreviews`: whom does a token authenticate? */
export async function tokenReview(auth: RequestAuth, body: unknown): Promise<JsonObject> {
  const spec = specOf(body) as { token?: string; audiences?: string[] };
  let status: JsonObject = { user: {}, error: '[invalid bearer token, token lookup failed]' };
  if (!spec.token) return answer('TokenReview', 'authentication.k8s.io', body, status);
  try {
    const user = await auth.authenticate(`Bearer ${spec.token ?? ''}`);
    status = { authenticated: true, user: userInfoJson(user), audiences: auth.signer.apiAudiences };
  } catch {
    // The error status set above.
  }
  return answer('TokenReview', 'authentication.k8s.io', body, status);
}
