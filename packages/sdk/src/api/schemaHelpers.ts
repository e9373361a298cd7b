// SPDX-License-Identifier: Apache-2.0
// Small schema builders for what TypeBox expresses in ways a CRD cannot (unions of literals
// become `anyOf`/`const`, which structural schemas forbid).
import { type TUnsafe, Type } from '@sinclair/typebox';

/** A string restricted to `values`: `enum` in both the CRD schema and validation. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** The longest duration string a CRD accepts. */
const MAX_DURATION_LENGTH = 64;

/**
 * A Go duration string (`300ms`, `1h30m`), checked with Go's parser and Chaos Mesh's message;
 * described as an experiment's duration unless `options.description` says otherwise.
 */
export function DurationString(options: { description?: string } = {}) {
  return Type.String({
    goDuration: true,
    // Far above any real duration (`1h2m3.5s` is 8), and what keeps the CEL rule's estimated cost low.
    maxLength: MAX_DURATION_LENGTH,
    description:
      'How long the experiment lasts (a Go duration: 30s, 5m, 1h); unset means until it is deleted.',
    ...options,
  });
}

/**
 * `text` as a CEL string literal (single-quoted; backslashes, quotes and line breaks escaped,
 * which a single-quoted CEL literal cannot hold raw), for building a
 * `CelValidation` rule from a value: `self.matches(${celString('^[a-z]+$')})`.
 */
export function celString(text: string): string {
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll("'", "\\'")
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r');
  return `'${escaped}'`;
}
