// SPDX-License-Identifier: Apache-2.0
// Built-in kinds are checked against their schemas (kubernetes-models), answered as a 1.32
// apiserver answers: a value of the wrong type, an integer out of its Go type's range or bytes
// that are not base64 fail its JSON decoder (400, Go's message naming the struct and type, only
// the first error in document order); a value outside an enum fails validation (422, a cause
// per field); ranges and other rules the schemas cannot express are hand-written (422).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

const NS = '/api/v1/namespaces/default';

function pod(
  name: string,
  spec: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec },
  };
}

describe('built-in kinds against their schemas', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emulator.stop());

  const create = (plural: string, body: unknown, ns = NS) =>
    raw(h.emulator, 'POST', `${ns}/${plural}`, JSON.stringify(body));

  async function decodeRefusal(plural: string, body: unknown, message: string, ns = NS): Promise<void> {
    const res = await create(plural, body, ns);
    expect({ status: res.status, body: res.json }).toEqual({
      status: 400,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'BadRequest',
        code: 400,
      },
    });
  }

  it('refuses pod specs with wrong types as the decoder does (400, Go’s words)', async () => {
    await decodeRefusal(
      'pods',
      pod('cmd', {}, { command: [true] }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field Container.spec.containers.command of type string',
    );
    await decodeRefusal(
      'pods',
      pod('port', {}, { ports: [{ containerPort: 'x' }] }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
    await decodeRefusal(
      'pods',
      pod('grace', { terminationGracePeriodSeconds: 'ten' }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64',
    );
    await decodeRefusal(
      'pods',
      pod('big', {}, { ports: [{ containerPort: 3_000_000_000 }] }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 3000000000 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
    const labels = await create('pods', {
      ...(pod('labels') as object),
      metadata: { name: 'labels', labels: { a: 1 } },
    });
    expect(labels.status).toBe(400);
    expect(labels.json.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
    for (const name of ['cmd', 'port', 'grace', 'big', 'labels'])
      expect((await raw(h.emulator, 'GET', `${NS}/pods/${name}`)).status).toBe(404);
  });

  it('answers the first error in document order, through inlined structs and special types', async () => {
    await decodeRefusal(
      'pods',
      pod('two', { terminationGracePeriodSeconds: 'ten' }, { command: [true] }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field Container.spec.containers.command of type string',
    );
    await decodeRefusal(
      'pods',
      pod('vol', { volumes: [{ name: 'v', configMap: { name: 5 } }] }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ConfigMapVolumeSource.spec.volumes.configMap.name of type string',
    );
    await decodeRefusal(
      'pods',
      pod('probe', {}, { livenessProbe: { exec: { command: 'ls' } } }),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ExecAction.spec.containers.livenessProbe.exec.command of type []string',
    );
    await decodeRefusal(
      'pods',
      pod('qty', {}, { resources: { limits: { cpu: true } } }),
      'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    );
    await decodeRefusal(
      'services',
      { metadata: { name: 'svc' }, spec: { ports: [{ port: 80, targetPort: true }] } },
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32',
    );
    // null is a zero value to Go, not an error, and is not written back.
    const nulls = await create(
      'pods',
      pod('nulls', { nodeSelector: null, activeDeadlineSeconds: null }, { args: null }),
    );
    expect(nulls.status).toBe(201);
    expect(nulls.json.spec).not.toHaveProperty('nodeSelector');
    expect(nulls.json.spec).not.toHaveProperty('activeDeadlineSeconds');
    expect(nulls.json.spec.containers[0]).not.toHaveProperty('args');
  });

  it('stores a released Lease without the holder it was updated to null, as Go decoding does', async () => {
    const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' };
    const made = await raw(h.emulator, 'POST', leases, JSON.stringify({ metadata: { name: 'l' }, spec }));
    expect(made.status).toBe(201);
    const released = await raw(
      h.emulator,
      'PUT',
      `${leases}/l`,
      JSON.stringify({ ...made.json, spec: { ...made.json.spec, holderIdentity: null, renewTime: null } }),
    );
    expect(released.status).toBe(200);
    expect(released.json.spec).toEqual({ leaseDurationSeconds: 15 });
    expect((await raw(h.emulator, 'GET', `${leases}/l`)).json.spec).toEqual({ leaseDurationSeconds: 15 });
  });

  it('refuses values out of range and outside enums with validation’s 422', async () => {
    const port = await create('pods', pod('range', {}, { ports: [{ containerPort: 70000 }] }));
    expect(port.status).toBe(422);
    expect(port.json).toMatchObject({
      reason: 'Invalid',
      message:
        'Pod "range" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      details: {
        name: 'range',
        kind: 'Pod',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
            field: 'spec.containers[0].ports[0].containerPort',
          },
        ],
      },
    });
    const restart = await create('pods', pod('sometimes', { restartPolicy: 'Sometimes' }));
    expect(restart.status).toBe(422);
    expect(restart.json).toMatchObject({
      reason: 'Invalid',
      message:
        'Pod "sometimes" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      details: {
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
            field: 'spec.restartPolicy',
          },
        ],
      },
    });
    const protocol = await create(
      'pods',
      pod('proto', {}, { ports: [{ containerPort: 80, protocol: 'QUIC' }] }),
    );
    expect(protocol.json.details.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "QUIC": supported values: "SCTP", "TCP", "UDP"',
        field: 'spec.containers[0].ports[0].protocol',
      },
    ]);
    const template = await raw(
      h.emulator,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      JSON.stringify({
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' } },
            spec: { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'i' }] },
          },
        },
      }),
    );
    expect(template.status).toBe(422);
    expect(template.json.message).toBe(
      'Deployment.apps "d" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  it('takes a CRD schema’s bool additionalProperties and array items, which kubernetes-models types as objects', async () => {
    const crd = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${name}s.example.com` },
      spec: {
        group: 'example.com',
        names: { kind: name[0]!.toUpperCase() + name.slice(1), plural: `${name}s` },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
          },
        ],
      },
    });
    const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const open = crd('open', {
      type: 'object',
      additionalProperties: true,
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect((await raw(h.emulator, 'POST', crds, JSON.stringify(open))).status).toBe(201);
    // A string is neither a schema nor a bool: the decoder's 400 names JSONSchemaProps.
    const wrong = crd('wrong', { type: 'object', additionalProperties: 'yes' });
    const res = await raw(h.emulator, 'POST', crds, JSON.stringify(wrong));
    expect(res.status).toBe(400);
  });

  it('refuses bytes that are not base64 (Secret data, ConfigMap binaryData) as Go’s decoder does', async () => {
    await decodeRefusal(
      'secrets',
      { metadata: { name: 's' }, data: { password: 'not base64!' } },
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
    await decodeRefusal(
      'configmaps',
      { metadata: { name: 'cm' }, binaryData: { bin: 'YWJj@' } },
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 4',
    );
    await decodeRefusal(
      'secrets',
      { metadata: { name: 'short' }, data: { a: 'YWJjZA' } },
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4',
    );
    // Go skips newlines in base64.
    const wrapped = await create('secrets', { metadata: { name: 'wrapped' }, data: { a: 'YWJj\nZGVm' } });
    expect(wrapped.status).toBe(201);
    const stringData = await create('secrets', {
      metadata: { name: 'plain' },
      stringData: { a: 'not base64!' },
    });
    expect(stringData.status).toBe(201);
  });

  it('answers a patch or update that produces a wrong type as the apiserver does', async () => {
    expect((await create('configmaps', { metadata: { name: 'target' }, data: { a: 'b' } })).status).toBe(201);
    const merge = await raw(h.emulator, 'PATCH', `${NS}/configmaps/target`, '{"data":{"a":5}}', {
      'Content-Type': 'application/merge-patch+json',
    });
    expect(merge.status).toBe(422);
    expect(merge.json.details.causes).toHaveLength(1);
    expect(merge.json.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'patch' });
    expect(merge.json.details.causes[0].message).toMatch(
      /^Invalid value: "\{.*\}": json: cannot unmarshal number into Go struct field ConfigMap.data of type string$/,
    );
    const smp = await raw(h.emulator, 'PATCH', `${NS}/configmaps/target`, '{"data":{"a":5}}', {
      'Content-Type': 'application/strategic-merge-patch+json',
    });
    expect(smp.json.message).toBe(
      ' "" is invalid: patch: Invalid value: "map[data:map[a:5]]": json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
    const current = (await raw(h.emulator, 'GET', `${NS}/configmaps/target`)).json;
    const put = await raw(
      h.emulator,
      'PUT',
      `${NS}/configmaps/target`,
      JSON.stringify({ ...current, data: { a: [1] } }),
    );
    expect(put.status).toBe(400);
    expect(put.json.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type string',
    );
    expect((await raw(h.emulator, 'GET', `${NS}/configmaps/target`)).json.data).toEqual({ a: 'b' });
  });
});
