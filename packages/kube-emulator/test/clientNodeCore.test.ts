// SPDX-License-Identifier: Apache-2.0
// Typed @kubernetes/client-node calls against a real emulator over HTTPS.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { type Harness, bodyOf, podSpec, raw, rejection, startHarness, statusOf } from './support.js';

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategic = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

describe('client-node CoreV1Api and friends', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  it('serves discovery and version', async () => {
    const version = await h.kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.major).toBe('1');
    const groups = await h.kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    const names = groups.groups.map(g => g.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'apiextensions.k8s.io',
        'coordination.k8s.io',
        'discovery.k8s.io',
        'events.k8s.io',
      ]),
    );
    const core = await h.core.getAPIResources();
    expect(core.resources.map(r => r.name)).toEqual(
      expect.arrayContaining([
        'pods',
        'pods/status',
        'namespaces',
        'nodes',
        'events',
        'services',
        'endpoints',
        'configmaps',
        'secrets',
        'serviceaccounts',
      ]),
    );
  });

  it('creates, reads, updates and deletes pods with resourceVersions and conflicts', async () => {
    const created = await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: podSpec },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Pending');
    const rv1 = Number(created.metadata!.resourceVersion);

    const read = await h.core.readNamespacedPod({ namespace: 'default', name: 'web' });
    expect(read.metadata?.resourceVersion).toBe(String(rv1));

    read.metadata!.labels = { app: 'web', tier: 'front' };
    const updated = await h.core.replaceNamespacedPod({ namespace: 'default', name: 'web', body: read });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(rv1);

    // The stale copy now conflicts.
    const stale = await rejection(
      h.core.replaceNamespacedPod({ namespace: 'default', name: 'web', body: read }),
    );
    expect(statusOf(stale)).toBe(409);
    expect(bodyOf(stale)).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      details: { name: 'web', kind: 'pods' },
    });

    const dup = await rejection(
      h.core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: 'web' }, spec: podSpec },
      }),
    );
    expect(bodyOf(dup)).toMatchObject({ reason: 'AlreadyExists', code: 409 });

    await h.core.deleteNamespacedPod({ namespace: 'default', name: 'web' });
    const gone = await rejection(h.core.readNamespacedPod({ namespace: 'default', name: 'web' }));
    expect(statusOf(gone)).toBe(404);
    expect(bodyOf(gone)).toMatchObject({ reason: 'NotFound', message: 'pods "web" not found' });
  });

  it('writes pod status only through the status subresource', async () => {
    const pod = await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'st' }, spec: podSpec, status: { phase: 'Running' } },
    });
    expect(pod.status?.phase).toBe('Pending');
    pod.status = { phase: 'Running', podIP: '10.0.0.7' };
    const viaMain = await h.core.replaceNamespacedPod({ namespace: 'default', name: 'st', body: pod });
    expect(viaMain.status?.phase).toBe('Pending');
    viaMain.status = { phase: 'Running', podIP: '10.0.0.7' };
    const viaStatus = await h.core.replaceNamespacedPodStatus({
      namespace: 'default',
      name: 'st',
      body: viaMain,
    });
    expect(viaStatus.status?.phase).toBe('Running');
    const patched = await h.core.patchNamespacedPodStatus(
      { namespace: 'default', name: 'st', body: { status: { phase: 'Succeeded' } } },
      merge,
    );
    expect(patched.status?.phase).toBe('Succeeded');
    expect(patched.status?.podIP).toBe('10.0.0.7');
    const selected = await h.core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'status.phase=Succeeded',
    });
    expect(selected.items.map(p => p.metadata?.name)).toEqual(['st']);
  });

  it('bumps generation only on spec changes', async () => {
    const pod = await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'gen' }, spec: podSpec },
    });
    expect(pod.metadata?.generation).toBe(1);
    const labelled = await h.core.patchNamespacedPod(
      { namespace: 'default', name: 'gen', body: { metadata: { labels: { a: 'b' } } } },
      merge,
    );
    expect(labelled.metadata?.generation).toBe(1);
    const spec = await h.core.patchNamespacedPod(
      { namespace: 'default', name: 'gen', body: { spec: { activeDeadlineSeconds: 30 } } },
      merge,
    );
    expect(spec.metadata?.generation).toBe(2);
  });

  it('applies json, merge and strategic merge patches', async () => {
    await h.core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'patchy', labels: { a: '1' } },
        spec: {
          containers: [
            { name: 'a', image: 'x:1' },
            { name: 'b', image: 'y:1' },
          ],
        },
      },
    });
    const json = await h.core.patchNamespacedPod({
      namespace: 'default',
      name: 'patchy',
      body: [{ op: 'replace', path: '/metadata/labels/a', value: '2' }],
    });
    expect(json.metadata?.labels).toEqual({ a: '2' });
    const mergeRes = await h.core.patchNamespacedPod(
      { namespace: 'default', name: 'patchy', body: { metadata: { labels: { a: null, c: '3' } } } },
      merge,
    );
    expect(mergeRes.metadata?.labels).toEqual({ c: '3' });
    const smp = await h.core.patchNamespacedPod(
      { namespace: 'default', name: 'patchy', body: { spec: { containers: [{ name: 'b', image: 'y:2' }] } } },
      strategic,
    );
    expect(smp.spec?.containers.map(c => `${c.name}=${c.image}`)).toEqual(['a=x:1', 'b=y:2']);
    const failed = await rejection(
      h.core.patchNamespacedPod({
        namespace: 'default',
        name: 'patchy',
        body: [{ op: 'test', path: '/metadata/name', value: 'nope' }],
      }),
    );
    expect(statusOf(failed)).toBe(422);
  });

  it('filters with label and field selectors and pages with limit/continue', async () => {
    await h.core.createNamespace({ body: { metadata: { name: 'sel' } } });
    for (let i = 0; i < 7; i++) {
      await h.core.createNamespacedPod({
        namespace: 'sel',
        body: {
          metadata: { name: `p${i}`, labels: { idx: String(i), parity: i % 2 === 0 ? 'even' : 'odd' } },
          spec: { ...podSpec, nodeName: i < 3 ? 'n1' : 'n2' },
        },
      });
    }
    const even = await h.core.listNamespacedPod({ namespace: 'sel', labelSelector: 'parity=even' });
    expect(even.items.map(p => p.metadata?.name)).toEqual(['p0', 'p2', 'p4', 'p6']);
    const setBased = await h.core.listNamespacedPod({
      namespace: 'sel',
      labelSelector: 'idx in (1,2,3),parity!=odd',
    });
    expect(setBased.items.map(p => p.metadata?.name)).toEqual(['p2']);
    const exists = await h.core.listNamespacedPod({ namespace: 'sel', labelSelector: '!nothing,idx' });
    expect(exists.items).toHaveLength(7);
    const onNode = await h.core.listNamespacedPod({
      namespace: 'sel',
      fieldSelector: 'spec.nodeName=n1,metadata.name!=p1',
    });
    expect(onNode.items.map(p => p.metadata?.name)).toEqual(['p0', 'p2']);
    const allNs = await h.core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=sel' });
    expect(allNs.items).toHaveLength(7);

    const names: string[] = [];
    let cont: string | undefined;
    do {
      const page: k8s.V1PodList = await h.core.listNamespacedPod({
        namespace: 'sel',
        limit: 3,
        _continue: cont,
      });
      names.push(...page.items.map(p => p.metadata!.name!));
      cont = page.metadata?._continue;
      if (cont) expect(page.metadata?.remainingItemCount).toBeGreaterThan(0);
    } while (cont);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);

    const bad = await rejection(
      h.core.listNamespacedPod({ namespace: 'sel', fieldSelector: 'spec.unknownField=x' }),
    );
    expect(statusOf(bad)).toBe(400);
    expect(bodyOf(bad).message).toContain('field label not supported: spec.unknownField');
    const badLabel = await rejection(h.core.listNamespacedPod({ namespace: 'sel', labelSelector: 'a in (' }));
    expect(statusOf(badLabel)).toBe(400);
  });

  it('keeps objects with finalizers until the last finalizer is removed', async () => {
    await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: { a: 'b' } },
    });
    await h.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'held' });
    const marked = await h.core.readNamespacedConfigMap({ namespace: 'default', name: 'held' });
    expect(marked.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    const adding = await rejection(
      h.core.patchNamespacedConfigMap(
        {
          namespace: 'default',
          name: 'held',
          body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } },
        },
        merge,
      ),
    );
    expect(statusOf(adding)).toBe(422);
    await h.core.patchNamespacedConfigMap({
      namespace: 'default',
      name: 'held',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    expect(
      statusOf(await rejection(h.core.readNamespacedConfigMap({ namespace: 'default', name: 'held' }))),
    ).toBe(404);
  });

  it('serves the other built-in kinds', async () => {
    const node = await h.core.createNode({
      body: {
        metadata: { name: 'node-a', labels: { zone: 'a' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
    });
    expect(node.metadata?.name).toBe('node-a');
    const svc = await h.core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'svc' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.9[6-9]|^10\.1[01]\d\./);
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });
    await h.core.createNamespacedEndpoints({
      namespace: 'default',
      body: {
        metadata: { name: 'svc' },
        subsets: [{ addresses: [{ ip: '10.1.0.1' }], ports: [{ port: 80 }] }],
      },
    });
    const secret = await h.core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 's' }, stringData: { password: 'hunter2' } },
    });
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data?.['password'] ?? '', 'base64').toString()).toBe('hunter2');
    await h.core.createNamespacedServiceAccount({
      namespace: 'default',
      body: { metadata: { name: 'robot' } },
    });
    await h.core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ev1' },
        involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
        reason: 'Started',
        message: 'hello',
        type: 'Normal',
      },
    });
    const byObject = await h.core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.name=web,involvedObject.kind=Pod',
    });
    expect(byObject.items.map(e => e.reason)).toEqual(['Started']);

    // events.k8s.io/v1 Events are the same objects seen through another API.
    const eventsV1 = h.kc.makeApiClient(k8s.EventsV1Api);
    const v1 = await eventsV1.readNamespacedEvent({ namespace: 'default', name: 'ev1' });
    expect(v1.note).toBe('hello');
    expect(v1.regarding?.name).toBe('web');
    await eventsV1.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'ev2' },
        eventTime: new Date(),
        reportingController: 'chaosplane',
        reportingInstance: 'x',
        action: 'Inject',
        reason: 'Injected',
        note: 'fault',
        type: 'Normal',
        regarding: { kind: 'Pod', name: 'web', namespace: 'default' },
      },
    });
    const asCore = await h.core.readNamespacedEvent({ namespace: 'default', name: 'ev2' });
    expect(asCore.message).toBe('fault');
    expect(asCore.involvedObject.name).toBe('web');

    const leases = h.kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await leases.createNamespacedLease({
      namespace: 'kube-node-lease',
      body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } },
    });
    expect(lease.spec?.holderIdentity).toBe('me');
    const slices = h.kc.makeApiClient(k8s.DiscoveryV1Api);
    const slice = await slices.createNamespacedEndpointSlice({
      namespace: 'default',
      body: {
        metadata: { name: 'svc-abc', labels: { 'kubernetes.io/service-name': 'svc' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.0.1'] }],
      },
    });
    expect(slice.addressType).toBe('IPv4');
    const sliceList = await slices.listNamespacedEndpointSlice({
      namespace: 'default',
      labelSelector: 'kubernetes.io/service-name=svc',
    });
    expect(sliceList.items).toHaveLength(1);
  });

  it('rejects invalid objects with apiserver-shaped Status bodies', async () => {
    const badName = await rejection(
      h.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } } }),
    );
    expect(statusOf(badName)).toBe(422);
    expect(bodyOf(badName)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: {
        name: 'Bad_Name',
        kind: 'ConfigMap',
        causes: [{ field: 'metadata.name', reason: 'FieldValueInvalid' }],
      },
    });
    expect(bodyOf(badName).message).toContain(
      'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"',
    );
    const noContainers = await rejection(
      h.core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: 'empty' }, spec: { containers: [] } },
      }),
    );
    expect(bodyOf(noContainers).details.causes).toEqual([
      { field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' },
    ]);
    const missingNs = await rejection(
      h.core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
    );
    expect(bodyOf(missingNs)).toMatchObject({ reason: 'NotFound', message: 'namespaces "nope" not found' });
  });

  it('drops unknown fields, or refuses them with fieldValidation=Strict', async () => {
    const body = JSON.stringify({ metadata: { name: 'extra', bogus: 1 }, data: { a: 'b' }, dta: { x: 'y' } });
    const dropped = await raw(h.emulator, 'POST', '/api/v1/namespaces/default/configmaps', body);
    expect(dropped.status).toBe(201);
    expect(dropped.json.dta).toBeUndefined();
    expect(dropped.json.metadata.bogus).toBeUndefined();
    const strict = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/configmaps?fieldValidation=Strict',
      body.replace('"extra"', '"extra2"'),
    );
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta", unknown field "metadata.bogus"',
    );
  });

  it('supports dryRun=All without storing anything', async () => {
    const before = h.emulator.resourceVersion;
    const dry = await h.core.createNamespacedConfigMap({
      namespace: 'default',
      dryRun: 'All',
      body: { metadata: { name: 'dry' }, data: { a: 'b' } },
    });
    expect(dry.metadata?.uid).toBeDefined();
    expect(h.emulator.resourceVersion).toBe(before);
    expect(
      statusOf(await rejection(h.core.readNamespacedConfigMap({ namespace: 'default', name: 'dry' }))),
    ).toBe(404);
  });

  it('supports dryRun=All on update, patch and delete', async () => {
    const cm = await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'dry-target' }, data: { a: '1' } },
    });
    const rv = h.emulator.resourceVersion;
    cm.data = { a: '2' };
    const updated = await h.core.replaceNamespacedConfigMap({
      namespace: 'default',
      name: 'dry-target',
      body: cm,
      dryRun: 'All',
    });
    expect(updated.data).toEqual({ a: '2' });
    const patched = await h.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'dry-target', body: { data: { a: '3' } }, dryRun: 'All' },
      merge,
    );
    expect(patched.data).toEqual({ a: '3' });
    await h.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'dry-target', dryRun: 'All' });
    expect(h.emulator.resourceVersion).toBe(rv);
    expect((await h.core.readNamespacedConfigMap({ namespace: 'default', name: 'dry-target' })).data).toEqual(
      { a: '1' },
    );
  });

  it('keeps the resourceVersion on a no-op update', async () => {
    const cm = await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'noop' }, data: { a: '1' } },
    });
    const again = await h.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'noop', body: { data: { a: '1' } } },
      merge,
    );
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it('refuses pod spec changes the apiserver refuses, and binds pods to nodes', async () => {
    await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'immut' }, spec: podSpec },
    });
    const refused = await rejection(
      h.core.patchNamespacedPod(
        { namespace: 'default', name: 'immut', body: { spec: { restartPolicy: 'Never' } } },
        merge,
      ),
    );
    expect(statusOf(refused)).toBe(422);
    expect(bodyOf(refused).details.causes[0]).toMatchObject({ field: 'spec', reason: 'FieldValueForbidden' });
    const image = await h.core.patchNamespacedPod(
      {
        namespace: 'default',
        name: 'immut',
        body: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } },
      },
      strategic,
    );
    expect(image.spec?.containers[0]?.image).toBe('busybox:1.37');
    await h.core.createNamespacedPodBinding({
      namespace: 'default',
      name: 'immut',
      body: { metadata: { name: 'immut' }, target: { kind: 'Node', name: 'node-9' } },
    });
    const bound = await h.core.readNamespacedPod({ namespace: 'default', name: 'immut' });
    expect(bound.spec?.nodeName).toBe('node-9');
    expect(bound.status?.conditions?.find(c => c.type === 'PodScheduled')?.status).toBe('True');
    const again = await rejection(
      h.core.createNamespacedPodBinding({
        namespace: 'default',
        name: 'immut',
        body: { metadata: { name: 'immut' }, target: { kind: 'Node', name: 'node-8' } },
      }),
    );
    expect(statusOf(again)).toBe(409);
  });

  it('keeps immutable ConfigMaps immutable', async () => {
    await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true },
    });
    const err = await rejection(
      h.core.patchNamespacedConfigMap(
        { namespace: 'default', name: 'frozen', body: { data: { a: '2' } } },
        merge,
      ),
    );
    expect(statusOf(err)).toBe(422);
    const labelled = await h.core.patchNamespacedConfigMap(
      { namespace: 'default', name: 'frozen', body: { metadata: { labels: { ok: 'yes' } } } },
      merge,
    );
    expect(labelled.metadata?.labels).toEqual({ ok: 'yes' });
  });

  it('generates names from generateName', async () => {
    const cm = await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(cm.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });
});
