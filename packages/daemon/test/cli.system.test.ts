// SPDX-License-Identifier: Apache-2.0
// The compiled `chaosplane-daemon` binary (npm run build first): flag validation, --insecure
// warning, health over HTTP and graceful shutdown on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosDaemonDefinition } from '../src/gen/chaosplane/daemon/v1/daemon.js';
import { createChannel, createClient } from 'nice-grpc';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.resolve(here, '../dist/cli/main.js');

function runToEnd(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', code => resolve({ code, stderr }));
  });
}

describe('chaosplane-daemon binary', () => {
  let stateDir: string;
  beforeAll(async () => {
    expect(existsSync(bin)).toBe(true); // built by npm run build
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-cli-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('refuses to start without TLS files unless --insecure is given', async () => {
    const { code, stderr } = await runToEnd([
      '--state-dir',
      stateDir,
      '--grpc-port',
      '0',
      '--http-port',
      '0',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'mTLS is required: missing --ca, --cert, --key (or pass --insecure for local development)',
    );
  });

  it('refuses --insecure together with TLS files instead of silently dropping them', async () => {
    const { code, stderr } = await runToEnd([
      '--insecure',
      '--ca',
      '/nonexistent/ca.pem',
      '--cert',
      '/nonexistent/cert.pem',
      '--state-dir',
      stateDir,
      '--grpc-port',
      '0',
      '--http-port',
      '0',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('--insecure cannot be combined with --ca, --cert: choose mTLS or --insecure');
  });

  it('rejects a bad port', async () => {
    const { code, stderr } = await runToEnd(['--grpc-port', 'seventy']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('must be a port number');
  });

  it('serves plugins and health with --insecure, warns loudly, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        '--insecure',
        '--plugin',
        path.join(here, 'fixtures/jsPlugin.mjs'),
        '--state-dir',
        stateDir,
        '--grpc-host',
        '127.0.0.1',
        '--grpc-port',
        '0',
        '--http-host',
        '127.0.0.1',
        '--http-port',
        '0',
        '--containerd-socket',
        path.join(stateDir, 'none.sock'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_FORMAT: 'json' } },
    );
    const lines: string[] = [];
    try {
      const listening = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', line => {
          lines.push(line);
          const parsed = JSON.parse(line) as { message: string; httpPort: number; grpcPort: number };
          if (parsed.message === 'listening') resolve(parsed);
        });
        child.once('exit', code => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
      });
      expect(lines.some(l => l.includes('INSECURE MODE') && l.includes('"level":"warn"'))).toBe(true);
      const health = await fetch(`http://127.0.0.1:${listening.httpPort}/healthz`);
      expect(health.status).toBe(200);
      // No containerd behind the configured socket: alive, but not ready, and it says why.
      const ready = await fetch(`http://127.0.0.1:${listening.httpPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/^runtime containerd unreachable: containerd ping failed/);
      // The plugin's service is served next to the core service.
      const channel = createChannel(`127.0.0.1:${listening.grpcPort}`);
      try {
        const version = await createClient(ChaosDaemonDefinition, channel).version({});
        expect(version.services).toEqual(['chaosplane.daemon.v1.ChaosDaemon', 'test.plugin.v1.Echo']);
      } finally {
        channel.close();
      }
      child.kill('SIGTERM');
      const code = await new Promise(resolve => child.once('exit', resolve));
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
