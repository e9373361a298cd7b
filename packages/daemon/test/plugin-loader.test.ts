// SPDX-License-Identifier: Apache-2.0
// loadDaemonPlugins: plugin modules by path (the same import() serves package names).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadDaemonPlugins } from '@chaosplane/daemon';

describe('loadDaemonPlugins', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-plugins-'));
    const service = "{ name: 'X', fullName: 'x.v1.X', methods: {} }";
    await writeFile(
      path.join(dir, 'good.mjs'),
      `export default { kind: {}, daemon: { service: ${service}, handler: () => ({}) } };\n`,
    );
    await writeFile(path.join(dir, 'controller-only.mjs'), 'export default { kind: {} };\n');
    await writeFile(
      path.join(dir, 'bad-daemon.mjs'),
      'export default { daemon: { service: {}, handler: 1 } };\n',
    );
    await writeFile(path.join(dir, 'no-default.mjs'), 'export const x = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads daemon parts and skips controller-only plugins', async () => {
    const loaded = await loadDaemonPlugins(['./good.mjs', './controller-only.mjs'], { baseDir: dir });
    expect(loaded.map(p => [p.source, p.registration.service.fullName])).toEqual([['./good.mjs', 'x.v1.X']]);
  });

  it('explains what is wrong with a plugin', async () => {
    await expect(loadDaemonPlugins([path.join(dir, 'bad-daemon.mjs')])).rejects.toThrow(
      /daemon must be \{service: <ts-proto generic definition>, handler: deps => implementation\}/,
    );
    await expect(loadDaemonPlugins([path.join(dir, 'no-default.mjs')])).rejects.toThrow(
      /has no default export object/,
    );
    await expect(loadDaemonPlugins(['@chaosplane/no-such-plugin'])).rejects.toThrow(
      /plugin @chaosplane\/no-such-plugin could not be imported/,
    );
  });
});
