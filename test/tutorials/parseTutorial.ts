// SPDX-License-Identifier: Apache-2.0
// Reads a tutorial page: the code blocks marked as files (`<!-- file: path -->` on the line
// before the fence) and every command line of its `sh` blocks.

/** What a tutorial page holds for the test. */
export interface Tutorial {
  /** Relative path → content, in page order. */
  files: Map<string, string>;
  /** Every non-empty, non-comment line of the page's `sh` blocks, in page order. */
  commands: string[];
}

const FENCE = /^```([A-Za-z0-9_-]*)\s*$/;
const FILE_MARKER = /^<!--\s*file:\s*(\S+)\s*-->\s*$/;

/**
 * Parses a Markdown page. A file marker applies to the next fenced block (blank lines between
 * them are allowed, as Prettier inserts one). A marker that is not followed by a block, a path
 * that escapes the tutorial's directory, or a path given twice is an error naming the line.
 */
export function parseTutorial(markdown: string): Tutorial {
  const lines = markdown.split('\n');
  const files = new Map<string, string>();
  const commands: string[] = [];
  let pendingFile: { path: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const marker = FILE_MARKER.exec(line);
    if (marker) {
      const file = marker[1]!;
      if (file.startsWith('/') || file.split('/').includes('..'))
        throw new Error(`line ${i + 1}: file path ${file} must stay inside the tutorial directory`);
      if (files.has(file)) throw new Error(`line ${i + 1}: file ${file} is given twice`);
      pendingFile = { path: file, line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !/^```\s*$/.test(lines[j]!)) {
        body.push(lines[j]!);
        j += 1;
      }
      if (j >= lines.length) throw new Error(`line ${i + 1}: code block is never closed`);
      if (pendingFile) {
        files.set(pendingFile.path, `${body.join('\n')}\n`);
        pendingFile = undefined;
      } else if (fence[1] === 'sh') {
        for (const command of body.map(text => text.trim()))
          if (command !== '' && !command.startsWith('#')) commands.push(command);
      }
      i = j;
      continue;
    }
    if (pendingFile && line.trim() !== '')
      throw new Error(
        `line ${pendingFile.line}: file marker for ${pendingFile.path} is not followed by a code block`,
      );
  }
  if (pendingFile)
    throw new Error(
      `line ${pendingFile.line}: file marker for ${pendingFile.path} is not followed by a code block`,
    );
  return { files, commands };
}

/**
 * Splits a command line into argv the way a POSIX shell would for the simple lines tutorials
 * use: words separated by blanks, single quotes literal, double quotes without expansions.
 * Anything a shell would interpret (`$`, backticks, `;`, `|`, `&`, redirections, backslashes
 * outside quotes) is refused, so a tutorial never shows a line this test would run differently.
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (const char of command) {
    if (quote) {
      if (char === quote) quote = undefined;
      else if (quote === '"' && (char === '$' || char === '`' || char === '\\'))
        throw new Error(`${JSON.stringify(command)}: ${char} inside double quotes is not supported`);
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ('$`;|&<>\\(){}*?'.includes(char)) {
      throw new Error(`${JSON.stringify(command)}: unquoted ${char} would need a shell`);
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new Error(`${JSON.stringify(command)}: unterminated ${quote}`);
  if (word !== undefined) words.push(word);
  return words;
}
