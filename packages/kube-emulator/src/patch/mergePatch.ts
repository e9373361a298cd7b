// SPDX-License-Identifier: Apache-2.0
/** RFC 7386 JSON merge patch. */
import { isMap } from '../types.js';

/** Applies a merge patch to a document; returns a new value. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
