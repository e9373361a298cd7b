// SPDX-License-Identifier: Apache-2.0
// The reference pages promise "every flag": they must list exactly what the binaries accept.
// The CLIs run as child processes (their built dist/), as a reader would run them.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { operatorCommand } from '@chaosplane/operator';
import { flagsInHelp, flagsInTables, markdownSection } from './tutorials/referenceFlags.js';

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const help = async (script: string, ...args: string[]) =>
  (await execFileAsync(process.execPath, [path.join(repo, script), ...args, '--help'])).stdout;
const page = (name: string) => readFile(path.join(repo, 'docs/reference', name), 'utf8');

describe('reference pages match the binaries', () => {
  it('docs/reference/operator.md lists every chaosplane-operator flag, with its environment variable', async () => {
    const section = markdownSection(await page('operator.md'), '## `chaosplane-operator`');
    const options = operatorCommand().options.filter(option => option.long !== undefined);
    expect(
      flagsInTables(section)
        .map(row => row.flag)
        .sort(),
    ).toEqual(options.map(o => o.long!).sort());
    for (const option of options) {
      const row = flagsInTables(section).find(r => r.flag === option.long)!;
      if (option.envVar !== undefined) expect(row.text).toContain(`\`${option.envVar}\``);
    }
  });

  it('docs/reference/operator.md lists every flag of chaosplane crds and chaosplane dev', async () => {
    const text = await page('operator.md');
    for (const command of ['crds', 'dev']) {
      const documented = flagsInTables(markdownSection(text, `## \`chaosplane ${command}\``)).map(
        r => r.flag,
      );
      const accepted = flagsInHelp(await help('packages/cli/bin/chaosplane.js', command));
      expect(documented.sort()).toEqual(accepted.filter(flag => flag !== '--help').sort());
    }
  });

  it('docs/reference/daemon.md lists every chaosplane-daemon flag', async () => {
    const documented = flagsInTables(markdownSection(await page('daemon.md'), '## Flags')).map(r => r.flag);
    const accepted = flagsInHelp(await help('packages/daemon/dist/cli/main.js'));
    expect(documented.sort()).toEqual(accepted.filter(flag => flag !== '--help').sort());
  });
});
