// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev --deployed` refuses what it cannot honour before it starts anything: plugins
// of its own (the pods run the image's), and an image archive that is not there.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/chaosplane.js');

/** Runs the CLI; its exit code and output, never throwing on a failure. */
async function chaosplane(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('chaosplane dev --deployed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-dev-flags-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses --plugin and --config: the pods run the plugins of the image', async () => {
    for (const flags of [
      ['--plugin', '@chaosplane/experiment-podchaos'],
      ['--config', 'chaosplane.yaml'],
    ]) {
      const result = await chaosplane('dev', '--deployed', '--dir', dir, ...flags);
      expect(result.code).toBe(1);
      expect(result.output).toContain("--deployed runs the image's plugins");
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('says how to build the image when its archive is missing', async () => {
    const missing = path.join(dir, 'no-such-image.oci.tar');
    const result = await chaosplane('dev', '--deployed', '--dir', dir, '--image', missing);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`no image archive at ${missing}: build it with sudo npm run image`);
  });
});
