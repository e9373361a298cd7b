// SPDX-License-Identifier: Apache-2.0
// Protobuf request bodies (application/vnd.kubernetes.protobuf), as kubectl's typed commands
// and client-go send them: `k8s\0` + a runtime.Unknown envelope around the object's message.
// The bodies here are encoded from the vendored .proto files as Go would (non-pointer fields
// written even when zero), and read back in the JSON form a real apiserver stores.
// test/kubectl.system.test.ts runs the real kubectl commands.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { widgetCrd } from './fixtures.js';
import { type Harness, raw, startHarness } from './support.js';

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));
const PROTOBUF = { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' };

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync(
    ['core', 'apps', 'batch'].map(g => `k8s.io/api/${g}/v1/generated.proto`),
    { keepCase: true },
  );
  return root;
}

describe('protobuf request bodies', () => {
  let h: Harness;
  let root: protobuf.Root;

  /** `k8s\0` + runtime.Unknown{typeMeta, raw: the message}, as client-go writes a body. */
  function encode(apiVersion: string, kind: string, message: string, obj: object): Buffer {
    const type = root.lookupType(message);
    const rawBytes = type.encode(type.fromObject(obj)).finish();
    const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const envelope = unknown
      .encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw: rawBytes }))
      .finish();
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), envelope]);
  }

  beforeAll(async () => {
    root = loadRoot();
    h = await startHarness();
  });
  afterAll(() => h.emulator.stop());

  it('creates a ConfigMap and a Secret and reads them back as JSON', async () => {
    const cm = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      encode('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', {
        metadata: {
          name: 'cm',
          namespace: '',
          generateName: '',
          uid: '',
          generation: 0,
          creationTimestamp: {},
        },
        data: { a: 'b', empty: '' },
        binaryData: { bin: Buffer.from([0, 1, 2]) },
      }),
      PROTOBUF,
    );
    expect(cm.status).toBe(201);
    expect(cm.json).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } });
    expect(cm.json.data).toEqual({ a: 'b', empty: '' });
    expect(cm.json.binaryData).toEqual({ bin: 'AAEC' });
    expect(cm.json.metadata.generation).toBeUndefined();

    const secret = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/secrets',
      encode('v1', 'Secret', 'k8s.io.api.core.v1.Secret', {
        metadata: { name: 'sec' },
        data: { password: Buffer.from('hunter2') },
        type: 'Opaque',
      }),
      PROTOBUF,
    );
    expect(secret.status).toBe(201);
    expect(secret.json.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    expect(secret.json.type).toBe('Opaque');
  });

  it('keeps zeros of pointer fields and drops zeros of omitempty ones (Deployment, Pod)', async () => {
    const deployment = await raw(
      h.emulator,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      encode('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 0,
          minReadySeconds: 0,
          paused: false,
          selector: { matchLabels: { app: 'web' } },
          strategy: {},
          template: {
            metadata: { labels: { app: 'web' }, creationTimestamp: {} },
            spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {}, stdin: false }] },
          },
        },
        status: { replicas: 0, observedGeneration: 0 },
      }),
      PROTOBUF,
    );
    expect(deployment.status).toBe(201);
    expect(deployment.json.spec).toEqual({
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      strategy: {},
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
      },
    });

    const pod = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/pods',
      encode('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
        metadata: { name: 'p' },
        spec: {
          terminationGracePeriodSeconds: 0,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'c',
              image: 'busybox',
              command: ['sleep', '3600'],
              ports: [{ containerPort: 8080, hostPort: 0, protocol: 'TCP', name: '', hostIP: '' }],
              resources: { limits: { cpu: { string: '500m' } } },
            },
          ],
        },
      }),
      PROTOBUF,
    );
    expect(pod.status).toBe(201);
    expect(pod.json.spec.terminationGracePeriodSeconds).toBe(0);
    expect(pod.json.spec.restartPolicy).toBe('Never');
    expect(pod.json.spec.containers[0]).toMatchObject({
      command: ['sleep', '3600'],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      resources: { limits: { cpu: '500m' } },
    });
    expect(pod.json.spec.containers[0].ports[0]).toEqual({ containerPort: 8080, protocol: 'TCP' });
  });

  it('converts IntOrString, inlined structs and Time', async () => {
    const svc = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/services',
      encode('v1', 'Service', 'k8s.io.api.core.v1.Service', {
        metadata: { name: 'svc', annotations: { note: 'x' } },
        spec: {
          selector: { app: 'web' },
          ports: [
            { name: 'http', port: 80, targetPort: { type: 1, strVal: 'http' } },
            { name: 'metrics', port: 9090, targetPort: { type: 0, intVal: 9091 } },
          ],
        },
      }),
      PROTOBUF,
    );
    expect(svc.status).toBe(201);
    expect(svc.json.spec.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 'http' }),
      expect.objectContaining({ name: 'metrics', port: 9090, targetPort: 9091 }),
    ]);
    const withVolume = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/pods',
      encode('v1', 'Pod', 'k8s.io.api.core.v1.Pod', {
        metadata: { name: 'v' },
        spec: {
          containers: [{ name: 'c', image: 'busybox' }],
          volumes: [{ name: 'cfg', volumeSource: { configMap: { localObjectReference: { name: 'cm' } } } }],
          activeDeadlineSeconds: 30,
        },
        status: { startTime: { seconds: 1_700_000_000 } },
      }),
      PROTOBUF,
    );
    expect(withVolume.status).toBe(201);
    expect(withVolume.json.spec.volumes).toEqual([{ name: 'cfg', configMap: { name: 'cm' } }]);
    expect(withVolume.json.spec.activeDeadlineSeconds).toBe(30);
  });

  it('takes DeleteOptions as protobuf', async () => {
    const opts = root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
    const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const body = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      unknown
        .encode(
          unknown.fromObject({
            typeMeta: { apiVersion: 'v1', kind: 'DeleteOptions' },
            raw: opts.encode(opts.fromObject({ dryRun: ['All'] })).finish(),
          }),
        )
        .finish(),
    ]);
    const res = await raw(h.emulator, 'DELETE', '/api/v1/namespaces/default/configmaps/cm', body, PROTOBUF);
    expect(res.status).toBe(200);
    expect((await raw(h.emulator, 'GET', '/api/v1/namespaces/default/configmaps/cm')).status).toBe(200);
  });

  it('answers bodies that are not protobuf objects as the apiserver’s decoder does', async () => {
    const noMagic = await raw(h.emulator, 'POST', '/api/v1/namespaces/default/configmaps', '{}', PROTOBUF);
    expect(noMagic.status).toBe(400);
    expect(noMagic.json.message).toBe(
      'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (7b7d)',
    );
    const garbage = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0f, 0xff]),
      PROTOBUF,
    );
    expect(garbage.status).toBe(400);
    expect(garbage.json.reason).toBe('BadRequest');
    const wrongKind = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      encode('v1', 'Secret', 'k8s.io.api.core.v1.Secret', { metadata: { name: 's2' } }),
      PROTOBUF,
    );
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json.message).toBe(
      'the kind in the data (Secret) does not match the expected kind (ConfigMap)',
    );
  });

  it('answers protobuf for a custom resource with 415, as the apiserver does', async () => {
    const crd = await raw(
      h.emulator,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      JSON.stringify(widgetCrd),
    );
    expect(crd.status).toBe(201);
    const res = await raw(
      h.emulator,
      'POST',
      '/apis/example.com/v1/namespaces/default/widgets',
      encode('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', { metadata: { name: 'w' } }),
      PROTOBUF,
    );
    expect(res.status).toBe(415);
    expect(res.json.reason).toBe('UnsupportedMediaType');
  });

  it('has the Go facts of every field of every vendored API message and of ObjectMeta’s', () => {
    const facts = JSON.parse(readFileSync(path.join(PROTO_DIR, 'goFields.json'), 'utf8')).messages as Record<
      string,
      Record<string, string>
    >;
    const meta = [
      'ObjectMeta',
      'OwnerReference',
      'LabelSelector',
      'LabelSelectorRequirement',
      'DeleteOptions',
      'Preconditions',
      'Condition',
      'ManagedFieldsEntry',
    ].map(m => `k8s.io.apimachinery.pkg.apis.meta.v1.${m}`);
    const missing: string[] = [];
    let checked = 0;
    root.resolveAll();
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Type) {
          const name = nested.fullName.slice(1);
          // core/v1 List is metav1.List under another name: no struct of its own.
          if (name === 'k8s.io.api.core.v1.List') continue;
          if (!name.startsWith('k8s.io.api.') && !meta.includes(name)) continue;
          checked++;
          for (const field of nested.fieldsArray)
            if (!facts[name]?.[field.name]) missing.push(`${name}.${field.name}`);
        } else if (nested instanceof protobuf.Namespace) visit(nested);
      }
    };
    visit(root);
    expect(checked).toBeGreaterThan(250);
    expect(missing).toEqual([]);
  });
});
