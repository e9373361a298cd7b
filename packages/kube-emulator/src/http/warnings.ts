// SPDX-License-Identifier: Apache-2.0
/** Warnings to clients, as the API server sends them: RFC 7234 `Warning` headers, code 299, agent `-`. */

/**
 * The `Warning` header value of a text: `299 - "text"`, the text quoted with `"` and `\`
 * escaped (kubectl prints it as `Warning: text` on stderr). Control characters other than
 * tab are left out, as they cannot travel in a header.
 */
export function warningHeader(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
  return `299 - "${clean.replace(/[\\"]/g, c => `\\${c}`)}"`;
}
