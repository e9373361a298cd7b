// SPDX-License-Identifier: Apache-2.0
// The daemon's plugins: modules loaded by path (the same import() serves package names), their
// daemon halves served.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadPlugins } from '@chaosplane/service';
import { daemonHandlersOf } from '../src/plugin/daemonHandlersOf.js';
import { startDaemon } from '../src/server/startDaemon.js';
import { createChannel, createClient, Metadata } from 'nice-grpc';

import { ProbeDefinition } from './support/probePlugin.js';

describe('daemon plugins', () => {
  const loadDaemonPlugins = async (specifiers: string[], options: { from?: string } = {}) =>
    daemonHandlersOf(await loadPlugins(specifiers, options));
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-plugins-'));
    const service = "{ name: 'X', fullName: 'x.v1.X', methods: {} }";
    await writeFile(
      path.join(dir, 'good.mjs'),
      `export default { chaosplanePlugin: 2, kind: { kind: 'G', group: 'g' }, targetSelectors: [], daemon: { service: ${service}, handler: () => ({}) } };\n`,
    );
    await writeFile(
      path.join(dir, 'controller-only.mjs'),
      "export default { chaosplanePlugin: 2, kind: { kind: 'C', group: 'g' }, targetSelectors: [] };\n",
    );
    await writeFile(
      path.join(dir, 'bad-daemon.mjs'),
      "export default { chaosplanePlugin: 2, kind: { kind: 'B', group: 'g' }, daemon: { service: {}, handler: 1 } };\n",
    );
    await writeFile(path.join(dir, 'no-default.mjs'), 'export const x = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads daemon parts and skips controller-only plugins', async () => {
    const loaded = await loadDaemonPlugins(['./good.mjs', './controller-only.mjs'], { from: dir });
    expect(loaded.map(p => p.service.fullName)).toEqual(['x.v1.X']);
  });

  it("serves the daemon part of a definePlugin() module on the daemon's server", async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const [loaded] = await loadDaemonPlugins(['./fixtures/probePlugin.ts'], { from: here });
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-plugin-daemon-'));
    const daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: 'insecure',
      stateDir,
      runtimes: {},
      plugins: [loaded!],
    });
    const channel = createChannel(`127.0.0.1:${daemon.grpcPort}`);
    try {
      const probe = createClient(ProbeDefinition, channel);
      expect(
        await probe.whoCalls(
          {},
          {
            metadata: Metadata({ 'chaos-namespace': 'ns', 'chaos-name': 'x', 'chaos-record': 'ns/pod/main' }),
          },
        ),
      ).toEqual({
        version: 'ns/x',
        services: ['ns/pod/main'],
        callerIdentity: '',
      });
    } finally {
      channel.close();
      await daemon.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('explains what is wrong with a plugin', async () => {
    await expect(loadDaemonPlugins([path.join(dir, 'bad-daemon.mjs')])).rejects.toThrow(
      /daemon must be \{service: <ts-proto generic definition>, handler: daemon => implementation\}/,
    );
    await expect(loadDaemonPlugins([path.join(dir, 'no-default.mjs')])).rejects.toThrow(
      /does not export a plugin: its default export must be the result of definePlugin\(\)/,
    );
    await expect(loadDaemonPlugins(['@chaosplane/no-such-plugin'])).rejects.toThrow(
      /cannot load plugin "@chaosplane\/no-such-plugin"/,
    );
  });
});
