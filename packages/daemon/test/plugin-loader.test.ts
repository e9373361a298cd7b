// SPDX-License-Identifier: Apache-2.0
// loadDaemonPlugins: plugin modules by path (the same import() serves package names).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadDaemonPlugins, startDaemon } from '@chaosplane/daemon';
import { createChannel, createClient, Metadata } from 'nice-grpc';

import { ProbeDefinition } from './support/probePlugin.js';

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

  it("serves the daemon part of a definePlugin() module on the daemon's server", async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const [loaded] = await loadDaemonPlugins(['./fixtures/probe-plugin.ts'], { baseDir: here });
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-plugin-daemon-'));
    const daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: 'insecure',
      stateDir,
      runtimes: {},
      plugins: [loaded.registration],
    });
    const channel = createChannel(`127.0.0.1:${daemon.grpcPort}`);
    try {
      const probe = createClient(ProbeDefinition, channel);
      expect(
        await probe.whoCalls({}, { metadata: Metadata({ 'chaos-namespace': 'ns', 'chaos-name': 'x' }) }),
      ).toEqual({
        version: 'ns/x',
        services: [],
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
      /daemon must be \{service: <ts-proto generic definition>, handler: deps => implementation\}/,
    );
    await expect(loadDaemonPlugins([path.join(dir, 'no-default.mjs')])).rejects.toThrow(
      /has no default export object/,
    );
    await expect(loadDaemonPlugins(['@chaosplane/no-such-plugin'])).rejects.toThrow(
      /cannot load plugin "@chaosplane\/no-such-plugin"/,
    );
  });
});
