// SPDX-License-Identifier: Apache-2.0
// Names of spawned objects in the shape Kubernetes' generateName gives (`<base>-` cut to 58
// characters, then 5 characters of bcdfghjklmnpqrstvwxz2456789), but derived from a seed
// instead of drawn at random: the same run, step or node always gets the same name, so a
// create repeated after a crash or a stale read meets AlreadyExists instead of running twice.
import { createHash } from 'node:crypto';

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** Kubernetes' maxGeneratedNameLength: 63 - 5. */
const MAX_BASE = 58;

/** `<base>-xxxxx`, the suffix a function of `seed`. */
export function generatedName(base: string, seed: string): string {
  const prefix = `${base}-`.slice(0, MAX_BASE);
  const digest = createHash('sha256').update(seed).digest();
  let suffix = '';
  for (let i = 0; i < 5; i += 1) suffix += ALPHABET[digest[i]! % ALPHABET.length];
  return prefix + suffix;
}
