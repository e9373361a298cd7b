// SPDX-License-Identifier: Apache-2.0
/** RFC 6902 JSON patch with RFC 6901 pointers. */
import { KubeEmulatorError, badRequest } from '../errors.js';

type Json = unknown;

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer: "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyError(message: string): KubeEmulatorError {
  return new KubeEmulatorError('Invalid', message);
}

function container(doc: Json, parts: string[], op: string, path: string): { parent: Json; last: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const idx = Number(p);
      if (!/^\d+$/.test(p) || idx >= cur.length)
        throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
      cur = cur[idx] as Json;
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.prototype.hasOwnProperty.call(cur, p)) {
        throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
      }
      cur = (cur as Record<string, Json>)[p];
    } else throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
  }
  const last = parts.at(-1);
  if (last === undefined) throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
  return { parent: cur, last };
}

function getAt(doc: Json, path: string, op: string): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) return doc;
  const { parent, last } = container(doc, parts, op, path);
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!/^\d+$/.test(last) || idx >= parent.length)
      throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
    return parent[idx] as Json;
  }
  if (parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, last)) {
    return (parent as Record<string, Json>)[last];
  }
  throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
}

function removeAt(doc: Json, path: string, op: string): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) throw applyError(`${op} operation does not apply: cannot remove the root`);
  const { parent, last } = container(doc, parts, op, path);
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!/^\d+$/.test(last) || idx >= parent.length)
      throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
    return parent.splice(idx, 1)[0] as Json;
  }
  if (parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, last)) {
    const value = (parent as Record<string, Json>)[last];
    delete (parent as Record<string, Json>)[last];
    return value;
  }
  throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
}

function addAt(doc: Json, path: string, value: Json, op: string, replace: boolean): Json {
  const parts = parsePointer(path);
  if (parts.length === 0) return value;
  const { parent, last } = container(doc, parts, op, path);
  if (Array.isArray(parent)) {
    if (last === '-' && !replace) {
      parent.push(value);
      return doc;
    }
    const idx = Number(last);
    const max = replace ? parent.length - 1 : parent.length;
    if (!/^\d+$/.test(last) || idx > max)
      throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
    if (replace) parent[idx] = value;
    else parent.splice(idx, 0, value);
    return doc;
  }
  if (parent !== null && typeof parent === 'object') {
    if (replace && !Object.prototype.hasOwnProperty.call(parent, last)) {
      throw applyError(`${op} operation does not apply: doc is missing key: ${path}`);
    }
    (parent as Record<string, Json>)[last] = value;
    return doc;
  }
  throw applyError(`${op} operation does not apply: doc is missing path: "${path}"`);
}

type Operation = Record<string, unknown>;

function valueOf(op: Operation, name: string): Json {
  if (!('value' in op)) throw badRequest(`missing "value" in JSON patch "${name}" operation`);
  return structuredClone(op.value);
}

function fromOf(op: Operation, name: string): string {
  if (typeof op.from !== 'string') throw badRequest(`missing "from" in JSON patch "${name}" operation`);
  return op.from;
}

/** The operations by name; each returns the document after it (a root replace returns a new one). */
const OPERATIONS = new Map<string, (doc: Json, path: string, op: Operation) => Json>([
  ['add', (doc, path, op) => addAt(doc, path, valueOf(op, 'add'), 'add', false)],
  [
    'replace',
    (doc, path, op) => {
      const value = valueOf(op, 'replace');
      return parsePointer(path).length === 0 ? value : addAt(doc, path, value, 'replace', true);
    },
  ],
  [
    'remove',
    (doc, path) => {
      removeAt(doc, path, 'remove');
      return doc;
    },
  ],
  ['move', (doc, path, op) => addAt(doc, path, removeAt(doc, fromOf(op, 'move'), 'move'), 'move', false)],
  [
    'copy',
    (doc, path, op) =>
      addAt(doc, path, structuredClone(getAt(doc, fromOf(op, 'copy'), 'copy')), 'copy', false),
  ],
  [
    'test',
    (doc, path, op) => {
      const value = getAt(doc, path, 'test');
      if (JSON.stringify(value) !== JSON.stringify(op.value)) {
        throw applyError(`testing value ${path} failed: test failed`);
      }
      return doc;
    },
  ],
]);

/** Applies a JSON patch (an array of operations) to a copy of `doc`. */
export function applyJsonPatch(doc: Json, patch: unknown): Json {
  if (!Array.isArray(patch))
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out = structuredClone(doc);
  for (const raw of patch) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw badRequest('invalid JSON patch operation');
    const op = raw as Operation;
    const path = op.path;
    if (typeof path !== 'string') throw badRequest(`missing or invalid "path" in JSON patch operation`);
    const apply = typeof op.op === 'string' ? OPERATIONS.get(op.op) : undefined;
    if (!apply) throw badRequest(`Unexpected kind: ${String(op.op)}`);
    out = apply(out, path, op);
  }
  return out;
}
