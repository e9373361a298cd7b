// SPDX-License-Identifier: Apache-2.0
// The hash that names a Deployment's ReplicaSets (`pod-template-hash`) and a DaemonSet's
// ControllerRevisions (`controller-revision-hash`), computed as Kubernetes' controller.ComputeHash
// does: FNV-1a (32 bits) over the pod template, then the collision count when there is one
// (eight bytes: its four little-endian bytes and four zeros, as Go's make([]byte, 8) leaves
// them), and the decimal sum written in rand.SafeEncodeString's alphabet (no vowels, no 0/1/3,
// so a hash never spells a word). Kubernetes feeds FNV Go's spew dump of its
// template struct, which only Go can produce; this feeds the template's canonical JSON (keys
// sorted), so a template gets a stable hash of the same form, which changes with the template and
// the collision count, but not the value a real cluster would print for it.

/** rand.SafeEncodeString's alphabet. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, continuing from `hash`. */
function fnv1a(bytes: Uint8Array, hash = FNV_OFFSET): number {
  let h = hash;
  for (const byte of bytes) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/** JSON with every object's keys sorted and null fields left out, so equal templates give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      // A null field is Go's nil or zero value, which its struct dump shows as an absent one.
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash of `template` with `collisionCount` (ComputeHash). */
export function computeHash(template: unknown, collisionCount?: number): string {
  let sum = fnv1a(Buffer.from(canonicalJson(template), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const count = Buffer.alloc(8);
    count.writeUInt32LE(collisionCount >>> 0);
    sum = fnv1a(count, sum);
  }
  return [...String(sum)].map(digit => SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}
