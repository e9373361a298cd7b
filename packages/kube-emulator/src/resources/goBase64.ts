// SPDX-License-Identifier: Apache-2.0
/**
 * Whether a string is base64 as Go's `base64.StdEncoding` reads it (how the apiserver decodes
 * `[]byte` fields: Secret `data`, ConfigMap `binaryData`), and the error it gives otherwise:
 * `illegal base64 data at input byte N`. Go reads quanta of four characters, skips `\r` and
 * `\n`, needs padding to a full quantum and nothing after it.
 */

const ALPHABET = /^[A-Za-z0-9+/]$/;

function isNewline(c: string): boolean {
  return c === '\n' || c === '\r';
}

function corrupt(offset: number): string {
  return `illegal base64 data at input byte ${offset}`;
}

/** Past the padding of a quantum that has `j` characters; the error or undefined when valid. */
function afterPadding(bytes: string[], next: number, j: number): string | undefined {
  let si = next;
  if (j === 2) {
    // A quantum of two characters takes two `=`; the first has been read.
    while (si < bytes.length && isNewline(bytes[si]!)) si++;
    if (si === bytes.length) return corrupt(bytes.length);
    if (bytes[si] !== '=') return corrupt(si - 1);
    si++;
  }
  while (si < bytes.length && isNewline(bytes[si]!)) si++;
  return si < bytes.length ? corrupt(si) : undefined;
}

/** The error Go's standard base64 decoder gives for `value`, or undefined when it decodes. */
export function goBase64Error(value: string): string | undefined {
  // Go counts bytes: a character outside ASCII is several, and the first is the bad one.
  const bytes = [...Buffer.from(value, 'utf8')].map(b => String.fromCharCode(b));
  let si = 0;
  for (;;) {
    let j = 0;
    while (j < 4) {
      if (si === bytes.length) return j === 0 ? undefined : corrupt(si - j);
      const c = bytes[si++]!;
      if (ALPHABET.test(c)) j++;
      else if (isNewline(c)) continue;
      else if (c !== '=' || j < 2) return corrupt(si - 1);
      else return afterPadding(bytes, si, j);
    }
  }
}
