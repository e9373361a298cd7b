// SPDX-License-Identifier: Apache-2.0
/**
 * RFC 6902 JSON patch, applied by fast-json-patch and answered as the apiserver answers:
 * a body that is not a list of operations is a 400 (its JSON decoder's words), more than 10,000
 * operations a 413, and an operation that does not apply a 422 whose message is the generic one
 * (the apiserver drops the library's message). Pointers are unescaped as Kubernetes' library
 * does: `~1` and `~0` only, so `/~2` names the key `~2`.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { KubeEmulatorError, badRequest } from '../errors.js';

type Json = unknown;

/** The apiserver's cap on operations in one JSON patch. */
const MAX_OPERATIONS = 10_000;

/** Go's name of a JSON value's kind in a decoding error. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/**
 * The shape checks of the apiserver's strict decoding into its list of operations: a list,
 * of objects, whose `op`, `path` and `from` are strings. `null` is an empty list or operation.
 */
function checkShape(patch: unknown): unknown[] {
  if (patch === null) return [];
  if (!Array.isArray(patch))
    throw badRequest(
      `error decoding patch: json: cannot unmarshal ${jsonKind(patch)} into Go value of type []handlers.jsonPatchOp`,
    );
  for (const op of patch) {
    if (op === null) continue;
    if (typeof op !== 'object' || Array.isArray(op))
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${jsonKind(op)} into Go value of type handlers.jsonPatchOp`,
      );
    for (const field of ['op', 'path', 'from']) {
      const v = (op as Record<string, unknown>)[field];
      if (v !== undefined && v !== null && typeof v !== 'string')
        throw badRequest(
          `error decoding patch: json: cannot unmarshal ${jsonKind(v)} into Go struct field jsonPatchOp.${field} of type string`,
        );
    }
  }
  if (patch.length > MAX_OPERATIONS)
    throw new KubeEmulatorError(
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`,
    );
  return patch;
}

/** The library's first line and the failing operation, which names its path. */
function describeFailure(error: unknown): string {
  const e = error as { message?: unknown; index?: unknown; operation?: unknown };
  const first = String(e.message ?? error).split('\n')[0] ?? '';
  return e.operation === undefined
    ? first
    : `${first} (operation ${String(e.index)}: ${JSON.stringify(e.operation)})`;
}

/**
 * The 422 the apiserver answers when a JSON patch does not apply: its library's message is
 * dropped for the generic one. {@link applyJsonPatch} names the failing operation; the patch
 * handler answers with this.
 */
export function jsonPatchRefused(cause: unknown): KubeEmulatorError {
  return new KubeEmulatorError('Invalid', 'the server rejected our request due to an error in our request', {
    details: {},
    cause,
  });
}

/**
 * Applies a JSON patch (a list of operations) to a copy of `doc`; `doc` is left as it was. A
 * malformed patch is a 400 (413 past 10,000 operations); one that does not apply a 422 naming
 * the failing operation.
 */
export function applyJsonPatch(doc: Json, patch: unknown): Json {
  const ops = checkShape(patch);
  if (ops.length === 0) return structuredClone(doc);
  // A `null` operation has no kind: the apiserver's library fails it ("Unexpected kind").
  const missing = ops.indexOf(null);
  if (missing >= 0) throw new KubeEmulatorError('Invalid', `Unexpected kind: unknown (operation ${missing})`);
  try {
    const operations = structuredClone(ops) as Operation[];
    return jsonpatch.applyPatch(structuredClone(doc), operations, true, true, true).newDocument;
  } catch (error) {
    throw new KubeEmulatorError('Invalid', describeFailure(error), { cause: error });
  }
}
