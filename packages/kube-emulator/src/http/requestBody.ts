// SPDX-License-Identifier: Apache-2.0
/**
 * Request bodies: read with a size limit, decoded from JSON or YAML with a nesting limit, or
 * from protobuf (built-in kinds).
 */
import { type IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { KubeEmulatorError, badRequest } from '../errors.js';
import { PROTOBUF_MEDIA, decodeProtobufObject } from '../protobuf/decodeProtobuf.js';
import { type ResourceType } from '../types.js';

/** Reads a body; rejects with 413 once it grows past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new KubeEmulatorError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', e => {
      if (!failed) reject(e);
    });
  });
}

/** The request's media type, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  // split() always returns at least one element.
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

const JSON_MEDIA = new Set(['', 'application/json', 'text/plain', '*/*']);

/** Deepest nesting the emulator accepts; deeper documents are refused before parsing. */
const MAX_DEPTH = 1000;

/** Nesting depth of a JSON text (brackets outside strings), without recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Parses JSON, with the apiserver's wording of a parse error for each kind of body. */
function parseJson(text: string, what: 'object' | 'patch' | 'delete'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = (error as Error).message;
    throw badRequest(
      what === 'object'
        ? `couldn't get version/kind; json parse error: ${why}`
        : what === 'patch'
          ? `error decoding patch: ${why}`
          : `json: ${why}`,
    );
  }
}

/** The 415 of a body in a media type the addressed resource does not take. */
function unsupportedMedia(): KubeEmulatorError {
  return new KubeEmulatorError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
  );
}

/** A protobuf object or DeleteOptions body; undefined for what takes no protobuf (a 415 then). */
function decodeProtobufBody(buffer: Buffer, what: string, type: ResourceType | undefined): unknown {
  if (what === 'delete')
    return buffer.length === 0 ? {} : decodeProtobufObject(buffer, { kind: 'DeleteOptions' });
  if (what === 'object' && type && !type.crd) return decodeProtobufObject(buffer, type);
  return undefined;
}

/**
 * Decodes a body of an object, a patch or DeleteOptions (an empty DeleteOptions is `{}`).
 * Protobuf is taken for built-in kinds and DeleteOptions (`type` is the addressed one); custom
 * resources, as in the apiserver, take JSON and YAML only.
 */
export function decodeBody(
  buffer: Buffer,
  media: string,
  what: 'object' | 'patch' | 'delete',
  type?: ResourceType,
): unknown {
  const isYaml = media === 'application/yaml' || media === 'application/apply-patch+yaml';
  if (media === PROTOBUF_MEDIA) {
    const decoded = decodeProtobufBody(buffer, what, type);
    if (decoded !== undefined) return decoded;
  }
  if (what === 'object' && !isYaml && !JSON_MEDIA.has(media)) throw unsupportedMedia();
  const text = buffer.toString('utf8');
  if (jsonDepth(text) > MAX_DEPTH)
    throw badRequest(`the request body exceeds the maximum nesting depth of ${MAX_DEPTH}`);
  if (text.trim() === '') {
    if (what === 'delete') return {};
    throw badRequest('the body of the request was empty');
  }
  if (!isYaml) return parseJson(text, what);
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch (error) {
    throw badRequest(`error converting YAML to JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}
