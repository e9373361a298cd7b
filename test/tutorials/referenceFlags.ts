// SPDX-License-Identifier: Apache-2.0
// Compares the flag tables of the reference pages with what the binaries accept.

/** The part of a Markdown page from `heading` (a whole line) to the next heading of its level. */
export function markdownSection(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const level = /^#+/.exec(heading)![0];
  const end = lines.findIndex(
    (line, i) => i > start && line.startsWith('#') && /^#+/.exec(line)![0].length <= level.length,
  );
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/**
 * Every table row whose first cell names flags (`` `--flag <arg>` ``, or several such names
 * separated by commas): one entry per flag, with the whole row's text.
 */
export function flagsInTables(markdown: string): { flag: string; text: string }[] {
  const rows: { flag: string; text: string }[] = [];
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`(--[a-z][a-z-]*)[^`]*`/g))
      rows.push({ flag: match[1]!, text: line });
  }
  return rows;
}

/**
 * The long flags in commander's `--help` output: at the options' indent (two spaces), not in a
 * description wrapped onto a line of its own (`--image`'s mentions `--deployed`).
 */
export function flagsInHelp(help: string): string[] {
  const flags: string[] = [];
  for (const line of help.split('\n')) {
    const match = /^ {2}(?:-[A-Za-z], )?(--[a-z][a-z-]*)/.exec(line);
    if (match) flags.push(match[1]!);
  }
  return flags;
}
