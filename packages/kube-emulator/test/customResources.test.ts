// SPDX-License-Identifier: Apache-2.0
// CRDs through client-node: serving, validation with field paths, defaults, status, versions.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import * as k8s from '@kubernetes/client-node';
import { gadgetCrd, widgetCrd } from './fixtures.js';
import { type Harness, bodyOf, raw, rejection, startHarness, statusOf } from './support.js';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** A namespaced example.com/v1 CRD whose objects' `spec` has the schema `spec`. */
function exampleCrd(
  names: { plural: string; kind: string; singular?: string },
  spec: Record<string, unknown>,
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names,
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
        },
      ],
    },
  };
}

describe('CustomResourceDefinitions', () => {
  let h: Harness;
  let custom: k8s.CustomObjectsApi;
  beforeAll(async () => {
    h = await startHarness();
    custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
    // Raw JSON: client-node's typed models rename `enum`/`default` and would drop them.
    const created = await raw(
      h.emulator,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      JSON.stringify(widgetCrd),
    );
    expect(created.status).toBe(201);
    expect(created.json.status.conditions.find((c: any) => c.type === 'Established')?.status).toBe('True');
    expect(
      (
        await raw(
          h.emulator,
          'POST',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
          JSON.stringify(gadgetCrd),
        )
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  it('serves the new resource in discovery', async () => {
    const res = await raw(h.emulator, 'GET', '/apis/example.com/v1');
    expect(res.json.resources.map((r: any) => r.name)).toEqual(
      ['widgets', 'widgets/status', 'gadgets'].filter(n => n !== 'gadgets'),
    );
    const group = await raw(h.emulator, 'GET', '/apis/example.com');
    expect(group.json.preferredVersion.version).toBe('v1');
  });

  it('creates namespaced objects with defaults and drops status on create', async () => {
    const obj: any = await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 3, unknown: 'pruned' },
        status: { phase: 'Bogus' },
      },
    });
    expect(obj.spec).toEqual({ size: 3, color: 'red' });
    expect(obj.status).toBeUndefined();
    expect(obj.metadata.generation).toBe(1);
  });

  it('validates against the schema with field paths', async () => {
    const err = await rejection(
      custom.createNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        body: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'bad' },
          spec: { size: 11, color: 'green', tags: ['toolong'] },
        },
      }),
    );
    expect(statusOf(err)).toBe(422);
    const body = bodyOf(err);
    expect(body.reason).toBe('Invalid');
    expect(body.details.causes.map((c: any) => c.field).sort()).toEqual([
      'spec.color',
      'spec.size',
      'spec.tags[0]',
    ]);
    expect(body.message).toContain('Widget.example.com "bad" is invalid: [');
    expect(body.message).toContain(
      'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
    );
    expect(body.message).toContain('spec.color: Unsupported value: "green": supported values: "red", "blue"');
    const missing = await rejection(
      custom.createNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad2' }, spec: {} },
      }),
    );
    expect(bodyOf(missing).details.causes).toEqual([
      { field: 'spec.size', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
    const typeErr = await rejection(
      custom.createNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        body: {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'bad3' },
          spec: { size: 'big' },
        },
      }),
    );
    expect(bodyOf(typeErr).details.causes[0]).toMatchObject({
      field: 'spec.size',
      reason: 'FieldValueTypeInvalid',
    });
  });

  it('writes status only through /status and bumps generation on spec changes only', async () => {
    await custom.createNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 2 } },
    });
    const viaMain: any = await custom.patchNamespacedCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w2',
        body: { status: { phase: 'Ready' } },
      },
      merge,
    );
    expect(viaMain.status).toBeUndefined();
    const viaStatus: any = await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w2',
        body: { status: { phase: 'Ready' } },
      },
      merge,
    );
    expect(viaStatus.status).toEqual({ phase: 'Ready' });
    expect(viaStatus.metadata.generation).toBe(1);
    const spec: any = await custom.patchNamespacedCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w2',
        body: { spec: { size: 5 } },
      },
      merge,
    );
    expect(spec.metadata.generation).toBe(2);
    expect(spec.status).toEqual({ phase: 'Ready' });
    const labels: any = await custom.patchNamespacedCustomObject(
      {
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w2',
        body: { metadata: { labels: { x: 'y' } } },
      },
      merge,
    );
    expect(labels.metadata.generation).toBe(2);
    const smp = await rejection(
      custom.patchNamespacedCustomObject(
        {
          group: 'example.com',
          version: 'v1',
          namespace: 'default',
          plural: 'widgets',
          name: 'w2',
          body: { spec: { size: 1 } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(statusOf(smp)).toBe(415);
  });

  it('requires a resourceVersion on replace and rejects stale ones', async () => {
    const current: any = await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
    });
    const { resourceVersion: _rv, ...metaNoRv } = current.metadata;
    const noRv = await rejection(
      custom.replaceNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w1',
        body: { ...current, metadata: metaNoRv },
      }),
    );
    expect(statusOf(noRv)).toBe(422);
    await custom.replaceNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
      body: { ...current, spec: { size: 4 } },
    });
    const stale = await rejection(
      custom.replaceNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        namespace: 'default',
        plural: 'widgets',
        name: 'w1',
        body: current,
      }),
    );
    expect(statusOf(stale)).toBe(409);
  });

  it('serves every version from one storage version', async () => {
    const beta: any = await custom.getNamespacedCustomObject({
      group: 'example.com',
      version: 'v1beta1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
    });
    expect(beta.apiVersion).toBe('example.com/v1beta1');
    expect(beta.spec.size).toBe(4);
    const list: any = await custom.listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1beta1',
      namespace: 'default',
      plural: 'widgets',
    });
    expect(list.items.every((i: any) => i.apiVersion === 'example.com/v1beta1')).toBe(true);
  });

  it('serves cluster-scoped resources', async () => {
    const g: any = await custom.createClusterCustomObject({
      group: 'example.com',
      version: 'v1alpha1',
      plural: 'gadgets',
      body: {
        apiVersion: 'example.com/v1alpha1',
        kind: 'Gadget',
        metadata: { name: 'g1' },
        spec: { mode: 'fast' },
        status: { ok: true },
      },
    });
    expect(g.metadata.namespace).toBeUndefined();
    // Without a status subresource, status is an ordinary field.
    expect(g.status).toEqual({ ok: true });
    const list: any = await custom.listClusterCustomObject({
      group: 'example.com',
      version: 'v1alpha1',
      plural: 'gadgets',
    });
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['g1']);
    await custom.deleteClusterCustomObject({
      group: 'example.com',
      version: 'v1alpha1',
      plural: 'gadgets',
      name: 'g1',
    });
    expect(
      statusOf(
        await rejection(
          custom.getClusterCustomObject({
            group: 'example.com',
            version: 'v1alpha1',
            plural: 'gadgets',
            name: 'g1',
          }),
        ),
      ),
    ).toBe(404);
  });

  it('works through KubernetesObjectApi', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(h.kc);
    const created = await objects.create({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w3', namespace: 'default' },
      spec: { size: 1 },
    } as k8s.KubernetesObject);
    expect(created.metadata?.uid).toBeDefined();
    const read = await objects.read({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w3', namespace: 'default' },
    });
    expect((read as any).spec.size).toBe(1);
    const patched = await objects.patch(
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w3', namespace: 'default', labels: { k: 'v' } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    expect(patched.metadata?.labels).toEqual({ k: 'v' });
    const list = await objects.list('example.com/v1', 'Widget', 'default');
    expect(list.items.map(i => i.metadata?.name)).toContain('w3');
    const cm = await objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'via-objects', namespace: 'default' },
      data: { a: 'b' },
    } as k8s.KubernetesObject);
    expect(cm.metadata?.name).toBe('via-objects');
    await objects.delete({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w3', namespace: 'default' },
    });
    expect(
      statusOf(
        await rejection(
          objects.read({
            apiVersion: 'example.com/v1',
            kind: 'Widget',
            metadata: { name: 'w3', namespace: 'default' },
          }),
        ),
      ),
    ).toBe(404);
  });

  it('enforces a self == oldSelf rule (immutable spec)', async () => {
    const crd = exampleCrd(
      { plural: 'frozens', kind: 'Frozen' },
      {
        type: 'object',
        'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Cannot update chaos spec' }],
        properties: { a: { type: 'string' } },
      },
    );
    expect(
      (
        await raw(
          h.emulator,
          'POST',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
          JSON.stringify(crd),
        )
      ).status,
    ).toBe(201);
    const ref = { group: 'example.com', version: 'v1', namespace: 'default', plural: 'frozens', name: 'f1' };
    await custom.createNamespacedCustomObject({
      ...ref,
      body: { apiVersion: 'example.com/v1', kind: 'Frozen', metadata: { name: 'f1' }, spec: { a: 'x' } },
    });
    const refused = await rejection(
      custom.patchNamespacedCustomObject({ ...ref, body: { spec: { a: 'y' } } }, merge),
    );
    expect(statusOf(refused)).toBe(422);
    expect(bodyOf(refused).message).toBe(
      'Frozen.example.com "f1" is invalid: spec: Invalid value: "object": Cannot update chaos spec',
    );
    const labelled: any = await custom.patchNamespacedCustomObject(
      { ...ref, body: { metadata: { labels: { ok: 'yes' } } } },
      merge,
    );
    expect(labelled.metadata.labels).toEqual({ ok: 'yes' });
  });

  it('prunes a null the schema does not allow (defaulting it if it has a default), keeps a nullable one', async () => {
    const crd = exampleCrd(
      { plural: 'nullables', singular: 'nullable', kind: 'Nullable' },
      {
        type: 'object',
        properties: {
          plain: { type: 'string' },
          defaulted: { type: 'string', default: 'd' },
          kept: { type: 'string', nullable: true },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    );
    const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    expect((await raw(h.emulator, 'POST', base, JSON.stringify(crd))).status).toBe(201);
    await eventually(
      async () => (await raw(h.emulator, 'GET', '/apis/example.com/v1/nullables')).status === 200,
    );
    const created = await raw(
      h.emulator,
      'POST',
      '/apis/example.com/v1/namespaces/default/nullables',
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Nullable',
        metadata: { name: 'n' },
        spec: { plain: null, defaulted: null, kept: null, labels: { a: 'x', b: null } },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.json.spec).toEqual({ defaulted: 'd', kept: null, labels: { a: 'x' } });
    await raw(h.emulator, 'DELETE', `${base}/nullables.example.com`);
  });

  it('rejects invalid CRDs with field paths', async () => {
    const ext = h.kc.makeApiClient(k8s.ApiextensionsV1Api);
    const err = await rejection(
      ext.createCustomResourceDefinition({
        body: {
          metadata: { name: 'things.example.com' },
          spec: {
            group: 'example.com',
            scope: 'Galaxy',
            names: { plural: 'things', kind: 'Thing' },
            versions: [
              { name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
            ],
          },
        },
      }),
    );
    expect(statusOf(err)).toBe(422);
    expect(
      bodyOf(err)
        .details.causes.map((c: any) => c.field)
        .sort(),
    ).toEqual(['spec.scope', 'spec.versions']);
  });

  it('stops serving a deleted CRD and drops its objects', async () => {
    const ext = h.kc.makeApiClient(k8s.ApiextensionsV1Api);
    let ended: unknown = 'not yet';
    await new k8s.Watch(h.kc).watch(
      '/apis/example.com/v1alpha1/gadgets',
      {},
      () => undefined,
      err => (ended = err),
    );
    await ext.deleteCustomResourceDefinition({ name: 'gadgets.example.com' });
    // Open watches of the resource end with it.
    await eventually(() => ended !== 'not yet');
    const res = await raw(h.emulator, 'GET', '/apis/example.com/v1alpha1/gadgets');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
  });
});
