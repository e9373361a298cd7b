// SPDX-License-Identifier: Apache-2.0
// Authentication and RBAC authorization, over HTTPS as clients see them: ServiceAccount tokens
// from TokenRequest and their invalidation, 401s, the authorizer's 403 wording for namespaced,
// cluster, subresource, named and non-resource requests, resourceNames and wildcards, role
// aggregation, impersonation and the access reviews.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import { type KubeEmulator, startKubeEmulator } from '../src/index.js';
import { type KubeEmulatorInternals } from '../src/kubeEmulator.js';
import { raw } from './support.js';

let emulator: KubeEmulator & KubeEmulatorInternals;

const json = (value: unknown): string => JSON.stringify(value);
const asUser = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Creates (as the admin) every object given, failing loudly. */
async function create(...objects: Array<{ path: string; body: object }>): Promise<void> {
  for (const { path, body } of objects) {
    const res = await raw(emulator, 'POST', path, json(body));
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.body}`);
  }
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const sa = (ns: string, name: string) => ({
  path: `/api/v1/namespaces/${ns}/serviceaccounts`,
  body: { metadata: { name } },
});

async function tokenFor(ns: string, name: string, spec: object = {}): Promise<string> {
  const res = await raw(
    emulator,
    'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
    json({ spec }),
  );
  expect(res.status).toBe(201);
  return res.json.status.token as string;
}

beforeAll(async () => {
  emulator = await startKubeEmulator();
  await create(
    { path: '/api/v1/namespaces', body: { metadata: { name: 'team' } } },
    sa('team', 'reader'),
    sa('team', 'nobody'),
    {
      path: `${RBAC}/clusterroles`,
      body: {
        metadata: { name: 'pod-reader' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods/status'], verbs: ['get'] },
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: ['lock'],
            verbs: ['get', 'list', 'watch', 'update'],
          },
        ],
      },
    },
    {
      path: `${RBAC}/namespaces/team/rolebindings`,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader' }],
      },
    },
  );
});
afterAll(() => emulator.stop());

describe('ServiceAccount tokens', () => {
  it('issues a signed JWT with the claims the apiserver puts in, and authenticates it as the ServiceAccount', async () => {
    const res = await raw(
      emulator,
      'POST',
      '/api/v1/namespaces/team/serviceaccounts/reader/token',
      json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }),
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      kind: 'TokenRequest',
      spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600 },
      status: { token: expect.stringMatching(/^ey[^.]+\.[^.]+\.[^.]+$/) },
    });
    const token = res.json.status.token as string;
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map(p => JSON.parse(Buffer.from(p, 'base64url').toString()));
    const uid = (await raw(emulator, 'GET', '/api/v1/namespaces/team/serviceaccounts/reader')).json.metadata
      .uid;
    expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:team:reader',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      jti: expect.any(String),
      'kubernetes.io': { namespace: 'team', serviceaccount: { name: 'reader', uid } },
    });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(Date.parse(res.json.status.expirationTimestamp) / 1000).toBe(payload.exp);

    const whoami = await raw(
      emulator,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      json({}),
      asUser(token),
    );
    expect(whoami.status).toBe(201);
    expect(whoami.json.status.userInfo).toEqual({
      username: 'system:serviceaccount:team:reader',
      uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${payload.jti}`] },
    });
  });

  it('refuses a bad, foreign-audience, expired or forged token with the apiserver 401', async () => {
    const good = await tokenFor('team', 'reader');
    const vault = await tokenFor('team', 'reader', { audiences: ['vault'] });
    const [h = '', p = '', s = ''] = good.split('.');
    const expired = await emulator.auth.signer.sign({
      sub: 'system:serviceaccount:team:reader',
      aud: emulator.auth.signer.apiAudiences,
      exp: Math.floor(Date.now() / 1000) - 120,
      'kubernetes.io': JSON.parse(Buffer.from(p, 'base64url').toString())['kubernetes.io'],
    });
    const forged = [
      h,
      Buffer.from(json({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'x' })).toString(
        'base64url',
      ),
      s,
    ].join('.');
    for (const token of ['not-a-token', vault, expired, forged]) {
      const res = await raw(emulator, 'GET', '/api/v1/namespaces/team/pods', undefined, asUser(token));
      expect({ status: res.status, body: res.json }).toEqual({
        status: 401,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        },
      });
    }
    expect((await raw(emulator, 'GET', '/api/v1/namespaces/team/pods', undefined, asUser(good))).status).toBe(
      200,
    );
  });

  it('refuses TokenRequests out of range, for a missing ServiceAccount, and a token once its ServiceAccount is deleted', async () => {
    const short = await raw(
      emulator,
      'POST',
      '/api/v1/namespaces/team/serviceaccounts/reader/token',
      json({ spec: { expirationSeconds: 60 } }),
    );
    expect(short.status).toBe(422);
    expect(short.json.message).toBe(
      'TokenRequest.authentication.k8s.io "reader" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    const missing = await raw(
      emulator,
      'POST',
      '/api/v1/namespaces/team/serviceaccounts/ghost/token',
      json({ spec: {} }),
    );
    expect([missing.status, missing.json.message]).toEqual([404, 'serviceaccounts "ghost" not found']);

    await create(sa('team', 'temp'));
    const token = await tokenFor('team', 'temp');
    const whoami = () =>
      raw(emulator, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', json({}), asUser(token));
    expect((await whoami()).status).toBe(201);
    expect((await raw(emulator, 'DELETE', '/api/v1/namespaces/team/serviceaccounts/temp')).status).toBe(200);
    expect((await whoami()).status).toBe(401);
    // A new ServiceAccount of the same name has another uid: the old token stays refused.
    await create(sa('team', 'temp'));
    expect((await whoami()).status).toBe(401);
  });

  it('binds a token to a pod: deleting the pod invalidates it, and the pod and node show in the user extra', async () => {
    await create(
      { path: '/api/v1/nodes', body: { metadata: { name: 'node-a' } } },
      {
        path: '/api/v1/namespaces/team/pods',
        body: {
          metadata: { name: 'web' },
          spec: {
            nodeName: 'node-a',
            serviceAccountName: 'reader',
            containers: [{ name: 'c', image: 'busybox' }],
          },
        },
      },
    );
    const pod = (await raw(emulator, 'GET', '/api/v1/namespaces/team/pods/web')).json;
    const token = (
      await emulator.createToken('team', 'reader', {
        boundObjectRef: { kind: 'Pod', name: 'web', uid: pod.metadata.uid },
      })
    ).token;
    const whoami = () =>
      raw(emulator, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', json({}), asUser(token));
    expect((await whoami()).json.status.userInfo.extra).toMatchObject({
      'authentication.kubernetes.io/pod-name': ['web'],
      'authentication.kubernetes.io/pod-uid': [pod.metadata.uid],
      'authentication.kubernetes.io/node-name': ['node-a'],
    });
    const wrongUid = await raw(
      emulator,
      'POST',
      '/api/v1/namespaces/team/serviceaccounts/reader/token',
      json({ spec: { boundObjectRef: { kind: 'Pod', name: 'web', uid: 'other' } } }),
    );
    expect(wrongUid.status).toBe(409);
    expect(
      (await raw(emulator, 'DELETE', '/api/v1/namespaces/team/pods/web?gracePeriodSeconds=0')).status,
    ).toBe(200);
    expect((await whoami()).status).toBe(401);
  });
});

describe('RBAC authorization', () => {
  let reader: string;
  let nobody: string;
  beforeAll(async () => {
    reader = await tokenFor('team', 'reader');
    nobody = await tokenFor('team', 'nobody');
  });

  const as = (token: string, method: string, path: string, body?: object) =>
    raw(emulator, method, path, body === undefined ? undefined : json(body), asUser(token));

  it('allows what a RoleBinding grants in its namespace, nothing elsewhere, and says so as the apiserver does', async () => {
    expect((await as(reader, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(200);
    expect((await as(reader, 'GET', '/api/v1/namespaces/team/pods?watch=true&timeoutSeconds=1')).status).toBe(
      200,
    );
    const elsewhere = await as(reader, 'GET', '/api/v1/namespaces/default/pods');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "system:serviceaccount:team:reader" cannot list resource "pods" in API group "" in the namespace "default"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    const all = await as(reader, 'GET', '/api/v1/pods');
    expect(all.json.message).toBe(
      'pods is forbidden: User "system:serviceaccount:team:reader" cannot list resource "pods" in API group "" at the cluster scope',
    );
    const del = await as(reader, 'DELETE', '/api/v1/namespaces/team/pods/web');
    expect(del.json.message).toBe(
      'pods "web" is forbidden: User "system:serviceaccount:team:reader" cannot delete resource "pods" in API group "" in the namespace "team"',
    );
    expect(del.json.details).toEqual({ name: 'web', kind: 'pods' });
    const collection = await as(reader, 'DELETE', '/api/v1/namespaces/team/pods');
    expect(collection.json.message).toContain('cannot deletecollection resource "pods"');
  });

  it('tells subresources apart, and limits resourceNames to requests that name the object', async () => {
    expect((await as(reader, 'GET', '/api/v1/namespaces/team/pods/none/status')).status).toBe(404);
    const patchStatus = await as(reader, 'PATCH', '/api/v1/namespaces/team/pods/none/status', {});
    expect(patchStatus.json.message).toBe(
      'pods "none" is forbidden: User "system:serviceaccount:team:reader" cannot patch resource "pods/status" in API group "" in the namespace "team"',
    );
    const log = await as(reader, 'GET', '/api/v1/namespaces/team/pods/none/log');
    expect(log.json.message).toContain('cannot get resource "pods/log"');
    expect((await as(reader, 'GET', '/apis/coordination.k8s.io/v1/namespaces/team/leases/lock')).status).toBe(
      404,
    );
    const other = await as(reader, 'GET', '/apis/coordination.k8s.io/v1/namespaces/team/leases/other');
    expect(other.json.message).toBe(
      'leases.coordination.k8s.io "other" is forbidden: User "system:serviceaccount:team:reader" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "team"',
    );
    const list = await as(reader, 'GET', '/apis/coordination.k8s.io/v1/namespaces/team/leases');
    expect(list.status).toBe(403);
    // A list pinned to the name by a field selector is a request for that name.
    const pinned = await as(
      reader,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/team/leases?fieldSelector=metadata.name%3Dlock',
    );
    expect(pinned.status).toBe(200);
  });

  it('lets every authenticated user discover the API and anonymous users read health, nothing more', async () => {
    expect((await as(nobody, 'GET', '/apis')).status).toBe(200);
    expect((await as(nobody, 'GET', '/version')).status).toBe(200);
    const nonResource = await as(nobody, 'GET', '/metrics');
    expect([nonResource.status, nonResource.json.message]).toEqual([
      403,
      'forbidden: User "system:serviceaccount:team:nobody" cannot get path "/metrics"',
    ]);
    const anonymous = (path: string) => raw(emulator, 'GET', path, undefined, { Authorization: '' });
    expect((await anonymous('/readyz')).status).toBe(200);
    const pods = await anonymous('/api/v1/namespaces/default/pods');
    expect(pods.json.message).toBe(
      'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    expect((await anonymous('/apis')).json.message).toBe(
      'forbidden: User "system:anonymous" cannot get path "/apis"',
    );
  });

  it('names a binding whose role is missing in the denial', async () => {
    await create({
      path: `${RBAC}/namespaces/team/rolebindings`,
      body: {
        metadata: { name: 'dangling' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gone' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: 'team' }],
      },
    });
    const res = await as(nobody, 'GET', '/api/v1/namespaces/team/configmaps');
    expect(res.json.message).toBe(
      'configmaps is forbidden: User "system:serviceaccount:team:nobody" cannot list resource "configmaps" in API group "" in the namespace "team": RBAC: role.rbac.authorization.k8s.io "gone" not found',
    );
  });

  it('aggregates ClusterRoles by label, and follows changes to the aggregated roles', async () => {
    await create(
      {
        path: `${RBAC}/clusterroles`,
        body: {
          metadata: { name: 'agg' },
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/agg': 'true' } }] },
          rules: [],
        },
      },
      {
        path: `${RBAC}/clusterroles`,
        body: {
          metadata: { name: 'agg-b', labels: { 'example.com/agg': 'true' } },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
        },
      },
      {
        path: `${RBAC}/clusterroles`,
        body: {
          metadata: { name: 'agg-a', labels: { 'example.com/agg': 'true' } },
          rules: [
            { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
            { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
          ],
        },
      },
    );
    const rules = async () => (await raw(emulator, 'GET', `${RBAC}/clusterroles/agg`)).json.rules;
    await eventually(async () => (await rules())?.length === 2);
    expect(await rules()).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect((await raw(emulator, 'DELETE', `${RBAC}/clusterroles/agg-a`)).status).toBe(200);
    await eventually(async () => (await rules())?.length === 1);
    // The default user-facing roles are aggregated too.
    const view = (await raw(emulator, 'GET', `${RBAC}/clusterroles/view`)).json;
    expect(view.rules).toContainEqual({
      apiGroups: [''],
      resources: ['namespaces'],
      verbs: ['get', 'list', 'watch'],
    });
  });

  it('lets the admin impersonate, and refuses impersonation to whoever may not', async () => {
    const impersonated = await raw(emulator, 'GET', '/api/v1/namespaces/default/pods', undefined, {
      'Impersonate-User': 'system:serviceaccount:team:reader',
    });
    expect(impersonated.json.message).toContain(
      'User "system:serviceaccount:team:reader" cannot list resource "pods"',
    );
    const refused = await as(reader, 'GET', '/api/v1/namespaces/team/pods', undefined);
    expect(refused.status).toBe(200);
    const noImpersonation = await raw(emulator, 'GET', '/api/v1/namespaces/team/pods', undefined, {
      ...asUser(reader),
      'Impersonate-User': 'jane',
    });
    expect(noImpersonation.json.message).toBe(
      'users "jane" is forbidden: User "system:serviceaccount:team:reader" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });
});

describe('access reviews', () => {
  const review = (path: string, body: object, headers: Record<string, string> = {}) =>
    raw(emulator, 'POST', `/apis/authorization.k8s.io/v1/${path}`, json(body), headers);

  it('answers SelfSubjectAccessReviews with the RBAC reason, and refuses an ambiguous one', async () => {
    const token = await tokenFor('team', 'reader');
    const allowed = await review(
      'selfsubjectaccessreviews',
      { spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } } },
      asUser(token),
    );
    expect(allowed.json.status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "reader/team" of ClusterRole "pod-reader" to ServiceAccount "reader/team"',
    });
    const denied = await review(
      'selfsubjectaccessreviews',
      { spec: { resourceAttributes: { namespace: 'team', verb: 'delete', resource: 'pods' } } },
      asUser(token),
    );
    expect(denied.json.status).toEqual({ allowed: false });
    const admin = await review('selfsubjectaccessreviews', {
      spec: { nonResourceAttributes: { path: '/x', verb: 'get' } },
    });
    expect(admin.json.status).toEqual({ allowed: true });
    const bad = await review('selfsubjectaccessreviews', { spec: {} });
    expect([bad.status, bad.json.message]).toEqual([
      422,
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    ]);
    expect(
      (await raw(emulator, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status,
    ).toBe(405);
  });

  it('answers SubjectAccessReviews for another user, and the rules of a namespace', async () => {
    const sar = await review('subjectaccessreviews', {
      spec: {
        user: 'system:serviceaccount:team:reader',
        groups: ['system:serviceaccounts'],
        resourceAttributes: { namespace: 'team', verb: 'get', resource: 'pods', subresource: 'status' },
      },
    });
    expect(sar.json.status.allowed).toBe(true);
    const token = await tokenFor('team', 'reader');
    const rules = await review('selfsubjectrulesreviews', { spec: { namespace: 'team' } }, asUser(token));
    expect(rules.json.status.resourceRules).toEqual(
      expect.arrayContaining([
        { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
        {
          verbs: ['get', 'list', 'watch', 'update'],
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: ['lock'],
        },
        {
          verbs: ['create'],
          apiGroups: ['authorization.k8s.io'],
          resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        },
      ]),
    );
    expect(rules.json.status.nonResourceRules).toContainEqual({
      verbs: ['get'],
      nonResourceURLs: expect.arrayContaining(['/api', '/apis/*']),
    });
  });

  it('lists the review kinds and serviceaccounts/token in discovery', async () => {
    const authz = (await raw(emulator, 'GET', '/apis/authorization.k8s.io/v1')).json;
    expect(authz.resources).toContainEqual(
      expect.objectContaining({ name: 'selfsubjectaccessreviews', verbs: ['create'] }),
    );
    const core = (await raw(emulator, 'GET', '/api/v1')).json;
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: 'serviceaccounts/token', kind: 'TokenRequest', verbs: ['create'] }),
    );
  });
});

describe('AlwaysAllow', () => {
  it('lets any ServiceAccount do anything, still refusing bad tokens', async () => {
    const open = await startKubeEmulator({ authorization: 'AlwaysAllow' });
    try {
      await raw(
        open,
        'POST',
        '/api/v1/namespaces/default/serviceaccounts',
        json({ metadata: { name: 'x' } }),
      );
      const { token } = await open.createToken('default', 'x');
      expect((await raw(open, 'GET', '/api/v1/secrets', undefined, asUser(token))).status).toBe(200);
      expect((await raw(open, 'GET', '/api/v1/secrets', undefined, asUser('bad'))).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
