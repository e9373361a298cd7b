// SPDX-License-Identifier: Apache-2.0
// Workloads as `kubectl create job` and `kubectl scale` need them: batch/v1 Jobs with the
// apiserver's defaults and generated selector, and the autoscaling/v1 `scale` subresource of
// Deployments (discovered, read, patched and replaced; 422 below zero, 409 on a stale
// resourceVersion).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

describe('workloads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const res = await raw(
      h.emulator,
      'POST',
      DEPLOYMENTS,
      JSON.stringify({
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: {
            matchLabels: { app: 'web', tier: 'front' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }],
          },
          template: {
            metadata: { labels: { app: 'web', tier: 'front', env: 'prod' } },
            spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
          },
        },
        status: { replicas: 7 },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.json.status).toEqual({});
  });
  afterAll(() => h.emulator.stop());

  it('serves Jobs with the apiserver’s defaults and generated selector', async () => {
    const res = await raw(
      h.emulator,
      'POST',
      '/apis/batch/v1/namespaces/default/jobs',
      JSON.stringify({
        metadata: { name: 'once' },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      }),
    );
    expect(res.status).toBe(201);
    const uid = res.json.metadata.uid as string;
    expect(res.json.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(res.json.spec.template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'once',
      'controller-uid': uid,
      'job-name': 'once',
    });
    const discovery = await raw(h.emulator, 'GET', '/apis/batch/v1');
    expect(discovery.json.resources.map((r: any) => r.name)).toEqual(['jobs', 'jobs/status']);
  });

  it('discovers and reads the scale subresource of Deployments', async () => {
    const apps = await raw(h.emulator, 'GET', '/apis/apps/v1');
    expect(apps.json.resources).toContainEqual({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    const scale = await raw(h.emulator, 'GET', `${DEPLOYMENTS}/web/scale`);
    expect(scale.status).toBe(200);
    expect(scale.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: 'app=web,env in (dev,prod),tier=front' },
    });
  });

  it('patches and replaces the Scale, which sets the deployment’s replicas', async () => {
    const patched = await raw(h.emulator, 'PATCH', `${DEPLOYMENTS}/web/scale`, '{"spec":{"replicas":3}}', {
      'Content-Type': 'application/merge-patch+json',
    });
    expect(patched.status).toBe(200);
    expect(patched.json.spec).toEqual({ replicas: 3 });
    const deployment = await raw(h.emulator, 'GET', `${DEPLOYMENTS}/web`);
    expect(deployment.json.spec.replicas).toBe(3);
    expect(deployment.json.metadata.generation).toBe(2);
    const scale = patched.json;
    scale.spec.replicas = 0;
    const replaced = await raw(h.emulator, 'PUT', `${DEPLOYMENTS}/web/scale`, JSON.stringify(scale));
    expect(replaced.status).toBe(200);
    expect(replaced.json.spec).toEqual({});
    expect((await raw(h.emulator, 'GET', `${DEPLOYMENTS}/web`)).json.spec.replicas).toBe(0);
    const stale = await raw(h.emulator, 'PUT', `${DEPLOYMENTS}/web/scale`, JSON.stringify(scale));
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');
  });

  it('refuses a negative replica count with the apiserver’s 422', async () => {
    const res = await raw(h.emulator, 'PATCH', `${DEPLOYMENTS}/web/scale`, '{"spec":{"replicas":-1}}', {
      'Content-Type': 'application/merge-patch+json',
    });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      message:
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: {
        name: 'web',
        group: 'autoscaling',
        kind: 'Scale',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: -1: must be greater than or equal to 0',
            field: 'spec.replicas',
          },
        ],
      },
    });
    expect((await raw(h.emulator, 'DELETE', `${DEPLOYMENTS}/web/scale`)).status).toBe(405);
    expect((await raw(h.emulator, 'GET', '/apis/apps/v1/namespaces/default/daemonsets/x/scale')).status).toBe(
      404,
    );
  });
});
