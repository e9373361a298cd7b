// SPDX-License-Identifier: Apache-2.0
// Protobuf bodies of the review and token endpoints, as kubectl's typed clients send them
// (`k8s\0` + runtime.Unknown), decoded into the JSON the handlers read.
import { describe, expect, it } from '@jest/globals';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { decodeAuthBody } from '../src/auth/authProtobuf.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const w = new BinaryWriter();
  w.tag(1, 2).fork().tag(1, 2).string(apiVersion).tag(2, 2).string(kind).join();
  w.tag(2, 2).bytes(raw);
  w.tag(4, 2).string(PROTOBUF);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}

describe('protobuf bodies of the auth endpoints', () => {
  it('decodes a SelfSubjectAccessReview, skipping metadata and unknown fields', () => {
    const attrs = new BinaryWriter()
      .tag(1, 2)
      .string('team-a')
      .tag(2, 2)
      .string('update')
      .tag(3, 2)
      .string('chaos-mesh.org')
      .tag(5, 2)
      .string('podchaos')
      .tag(6, 2)
      .string('status')
      .tag(7, 2)
      .string('web')
      .tag(99, 0)
      .int32(7)
      .finish();
    const review = new BinaryWriter()
      .tag(1, 2)
      .bytes(new BinaryWriter().tag(1, 2).string('ignored').finish())
      .tag(2, 2)
      .bytes(new BinaryWriter().tag(1, 2).bytes(attrs).finish())
      .finish();
    expect(
      decodeAuthBody(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', review), PROTOBUF),
    ).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: 'team-a',
          verb: 'update',
          group: 'chaos-mesh.org',
          resource: 'podchaos',
          subresource: 'status',
          name: 'web',
        },
      },
    });
  });

  it('decodes a TokenRequest with audiences, lifetime and bound object', () => {
    const spec = new BinaryWriter()
      .tag(1, 2)
      .string('a')
      .tag(1, 2)
      .string('b')
      .tag(3, 2)
      .bytes(new BinaryWriter().tag(1, 2).string('Pod').tag(3, 2).string('p').finish())
      .tag(4, 0)
      .int64(600)
      .finish();
    const body = new BinaryWriter().tag(2, 2).bytes(spec).finish();
    expect(
      decodeAuthBody(envelope('authentication.k8s.io/v1', 'TokenRequest', body), PROTOBUF),
    ).toMatchObject({
      spec: { audiences: ['a', 'b'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', name: 'p' } },
    });
  });

  it('refuses a body without the k8s prefix, and kinds it does not serve, with 400s', () => {
    expect(() => decodeAuthBody(Buffer.from('{}'), PROTOBUF)).toThrow(/not a valid protobuf message/);
    expect(() => decodeAuthBody(envelope('v1', 'Pod', new Uint8Array()), PROTOBUF)).toThrow(
      /no protobuf decoding of kind "Pod"/,
    );
    expect(decodeAuthBody(Buffer.from('{"kind":"SelfSubjectReview"}'), 'application/json')).toEqual({
      kind: 'SelfSubjectReview',
    });
  });
});
