// SPDX-License-Identifier: Apache-2.0
/**
 * Protobuf bodies of the authentication and authorization endpoints. kubectl 1.32's typed
 * clients send built-in kinds as `application/vnd.kubernetes.protobuf` (`k8s\0` and a
 * runtime.Unknown holding the object), so `kubectl auth can-i` (SelfSubjectAccessReview,
 * SelfSubjectRulesReview for --list), `kubectl auth whoami` and `kubectl create token`
 * (TokenRequest) arrive in it. Only the fields these endpoints read are decoded, into the JSON
 * form the handlers take; field numbers are those of k8s.io/api's generated.proto (authorization,
 * authentication v1). The wire reader is @bufbuild/protobuf's, the project's protobuf runtime.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { badRequest } from '../errors.js';
import { decodeBody } from '../http/requestBody.js';
import { type JsonObject } from '../types.js';

/** The media type of Kubernetes protobuf. */
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
/** Every protobuf body starts with these four bytes. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** What to do with a field: a string, repeated strings, or a nested message. */
type Field =
  | { name: string; type: 'string' }
  | { name: string; type: 'strings' }
  | { name: string; type: 'int64' }
  | { name: string; type: 'message'; fields: Message };
type Message = Record<number, Field>;

const RESOURCE_ATTRIBUTES: Message = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: Message = {
  1: { name: 'path', type: 'string' },
  2: { name: 'verb', type: 'string' },
};
/** SubjectAccessReviewSpec; SelfSubjectAccessReviewSpec is its fields 1 and 2. */
const ACCESS_REVIEW_SPEC: Message = {
  1: { name: 'resourceAttributes', type: 'message', fields: RESOURCE_ATTRIBUTES },
  2: { name: 'nonResourceAttributes', type: 'message', fields: NON_RESOURCE_ATTRIBUTES },
  3: { name: 'user', type: 'string' },
  4: { name: 'groups', type: 'strings' },
  6: { name: 'uid', type: 'string' },
};
const BOUND_OBJECT_REF: Message = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'apiVersion', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
};

/** The spec (field 2) of each kind these endpoints take; metadata and status are not read. */
const SPECS: Record<string, Message> = {
  SelfSubjectAccessReview: ACCESS_REVIEW_SPEC,
  SubjectAccessReview: ACCESS_REVIEW_SPEC,
  LocalSubjectAccessReview: ACCESS_REVIEW_SPEC,
  SelfSubjectRulesReview: { 1: { name: 'namespace', type: 'string' } },
  SelfSubjectReview: {},
  TokenRequest: {
    1: { name: 'audiences', type: 'strings' },
    3: { name: 'boundObjectRef', type: 'message', fields: BOUND_OBJECT_REF },
    4: { name: 'expirationSeconds', type: 'int64' },
  },
  TokenReview: {
    1: { name: 'token', type: 'string' },
    2: { name: 'audiences', type: 'strings' },
  },
};

/** Reads a message of `fields` from `bytes`; unknown fields are skipped, as protobuf does. */
function readMessage(bytes: Uint8Array, fields: Message): JsonObject {
  const reader = new BinaryReader(bytes);
  const out: JsonObject = {};
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const field = fields[no];
    if (!field) {
      reader.skip(wireType, no);
      continue;
    }
    if (field.type === 'int64') {
      if (wireType !== WireType.Varint) throw badRequest(`wrong wire type for ${field.name}`);
      out[field.name] = Number(reader.int64());
      continue;
    }
    if (wireType !== WireType.LengthDelimited) throw badRequest(`wrong wire type for ${field.name}`);
    if (field.type === 'string') out[field.name] = reader.string();
    else if (field.type === 'strings')
      out[field.name] = [...((out[field.name] as string[]) ?? []), reader.string()];
    else out[field.name] = readMessage(reader.bytes(), field.fields);
  }
  return out;
}

/** A protobuf body (`k8s\0` + runtime.Unknown) of one of these endpoints' kinds, as JSON. */
export function decodeAuthProtobuf(buffer: Buffer): JsonObject {
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC))
    throw badRequest('provided object is not a valid protobuf message: no k8s\\0 prefix');
  // runtime.Unknown: typeMeta (1: apiVersion 1, kind 2), raw (2).
  const unknown = readMessage(buffer.subarray(MAGIC.length), {
    1: {
      name: 'typeMeta',
      type: 'message',
      fields: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
    },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const spec = SPECS[typeMeta.kind ?? ''];
  if (!spec) throw badRequest(`no protobuf decoding of kind "${typeMeta.kind ?? ''}" here`);
  const reader = new BinaryReader(buffer.subarray(MAGIC.length));
  let raw: Uint8Array = new Uint8Array();
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === 2 && wireType === WireType.LengthDelimited) raw = reader.bytes();
    else reader.skip(wireType, no);
  }
  const object = readMessage(raw, { 2: { name: 'spec', type: 'message', fields: spec } });
  return {
    apiVersion: typeMeta.apiVersion ?? '',
    kind: typeMeta.kind!,
    spec: object.spec ?? {},
    metadata: {},
  };
}

/** The body of an authentication or authorization endpoint: protobuf, or JSON and YAML as for any object. */
export function decodeAuthBody(buffer: Buffer, media: string): unknown {
  return media === PROTOBUF ? decodeAuthProtobuf(buffer) : decodeBody(buffer, media, 'object');
}
