// SPDX-License-Identifier: Apache-2.0

/** A comma-separated flag or variable as a list: entries trimmed, empty ones dropped. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}
