// SPDX-License-Identifier: Apache-2.0
/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, as kubectl's typed commands send
 * them (`kubectl create namespace|configmap|secret|deployment|job|serviceaccount`): the magic
 * `k8s\0`, then a `runtime.Unknown` envelope whose `typeMeta` names the kind and whose `raw`
 * is the object's own message. The result is the object in JSON form, with its apiVersion and
 * kind, for the same path as a JSON body. Errors are worded as the apiserver's decoder's.
 */
import { KubeEmulatorError, badRequest } from '../errors.js';
import { type JsonObject, type ResourceType, isMap } from '../types.js';
import { decodeMessage } from './messageToJson.js';
import { protoSchema } from './protoSchema.js';

/** The media type of Kubernetes protobuf. */
export const PROTOBUF_MEDIA = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The apiserver's summary of a body it could not decode: hex, cut at 30 bytes. */
function summary(body: Buffer): string {
  if (body.length === 0) return '<empty>';
  const head = body.subarray(0, 30).toString('hex');
  return body.length > 30 ? `${head} ...` : head;
}

/** The apiVersion and kind an envelope names. */
function typeMetaOf(envelope: JsonObject): { apiVersion: string; kind: string } {
  const tm = isMap(envelope.typeMeta) ? envelope.typeMeta : {};
  return {
    apiVersion: typeof tm.apiVersion === 'string' ? tm.apiVersion : '',
    kind: typeof tm.kind === 'string' ? tm.kind : '',
  };
}

/** The envelope of a body; a 400 naming the expected kind when it is not one. */
function envelopeOf(body: Buffer, expectedKind: string): JsonObject {
  const unknown = protoSchema().message('k8s.io.apimachinery.pkg.runtime.Unknown')!;
  const unrecognized = (why: string): KubeEmulatorError =>
    badRequest(
      `the object provided is unrecognized (must be of type ${expectedKind}): ${why} (${summary(body)})`,
    );
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw unrecognized(
      `provided data does not appear to be a protobuf message, expected prefix [${[...MAGIC].join(' ')}]`,
    );
  try {
    return unknown.toObject(unknown.decode(body.subarray(MAGIC.length)), { bytes: String }) as JsonObject;
  } catch (error) {
    throw unrecognized(`proto: ${(error as Error).message}`);
  }
}

/**
 * Decodes a protobuf object body for a built-in type (`expected` is the addressed type; a
 * DeleteOptions body is decoded whatever it addresses). The kind comes from the envelope, as
 * the apiserver takes it; a kind whose message is not vendored is a 415.
 */
export function decodeProtobufObject(body: Buffer, expected: Pick<ResourceType, 'kind'>): JsonObject {
  const envelope = envelopeOf(body, expected.kind);
  const { apiVersion, kind } = typeMetaOf(envelope);
  const [group = '', version = ''] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const type = protoSchema().kindMessage(group, version, kind || expected.kind);
  if (!type) {
    throw new KubeEmulatorError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  const contentType = typeof envelope.contentType === 'string' ? envelope.contentType : '';
  if (contentType !== '' && contentType !== PROTOBUF_MEDIA)
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${expected.kind}: unsupported content type ${contentType}`,
    );
  try {
    const raw = Buffer.from(typeof envelope.raw === 'string' ? envelope.raw : '', 'base64');
    const obj = decodeMessage(protoSchema(), type, raw);
    return { ...(apiVersion ? { apiVersion } : {}), ...(kind ? { kind } : {}), ...obj };
  } catch (error) {
    throw badRequest(
      `${kind || expected.kind} in version "${version}" cannot be handled as a ${expected.kind}: proto: ${(error as Error).message}`,
    );
  }
}
