// SPDX-License-Identifier: Apache-2.0
// The chaosplane-operator binary as a process: it installs the CRDs, serves /healthz, /readyz
// and /metrics, and on SIGTERM stops cleanly (exit code 0), also while it is still starting.
// Runs the build's dist (CI builds before testing).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection as createKubeClient } from '@chaosplane/kube';
import { eventually } from '@chaosplane/dev';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const binary = path.join(repo, 'packages/operator/dist/cli/operator.js');

describe('chaosplane-operator binary', () => {
  let emulator: KubeEmulator;

  beforeAll(async () => {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run build first`);
    emulator = await startKubeEmulator();
  });
  afterAll(() => emulator.stop());

  /** The binary against the emulator, its JSON log lines, and its exit code once it exits. */
  function spawnOperator() {
    const child = spawn(
      process.execPath,
      [
        binary,
        `--kubeconfig=${emulator.kubeconfigPath}`,
        '--install-crds',
        '--daemon-insecure',
        '--http-addr=127.0.0.1:0',
      ],
      { cwd: repo, env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: Array<Record<string, unknown>> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(text) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    return { child, lines, exited };
  }

  it('installs CRDs, serves health and metrics, and exits 0 on SIGTERM', async () => {
    const { child, lines, exited } = spawnOperator();
    try {
      await eventually(
        () => Promise.resolve(lines.some(l => l['message'] === 'operator started') ? true : undefined),
        {
          what: 'the operator has started',
        },
      );
      const address = String(
        lines.find(l => l['message'] === 'serving /metrics, /healthz and /readyz')!['address'],
      );
      expect(await (await fetch(`http://${address}/healthz`)).text()).toBe('ok');
      expect((await fetch(`http://${address}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`http://${address}/metrics`)).text();
      expect(metrics).toContain('chaosplane_workqueue_depth');

      const kube = new KubeConfig();
      kube.loadFromString(emulator.kubeConfig);
      const client = createKubeClient(kube);
      try {
        const crds = await client.request<{ items: Array<{ metadata: { name: string } }> }>(
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        );
        expect(crds.items.map(c => c.metadata.name)).toEqual(
          expect.arrayContaining(['helloworldchaos.chaos-mesh.org', 'podchaos.chaos-mesh.org']),
        );
      } finally {
        client.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.map(l => l['message'])).toEqual(
      expect.arrayContaining(['stopping: finishing in-flight records', 'operator stopped']),
    );
  }, 60_000);

  it('exits 0 on SIGTERM while still starting (its cache cannot list nodes), saying so', async () => {
    // Every list of nodes answers after a minute: the selection cache cannot sync meanwhile.
    emulator.faults.set({ latency: [{ ms: 60_000, verbs: ['list'], resources: ['nodes'] }] });
    try {
      const { child, lines, exited } = spawnOperator();
      await eventually(
        () =>
          Promise.resolve(
            lines.some(l => l['message'] === 'serving /metrics, /healthz and /readyz') ? true : undefined,
          ),
        { what: 'the operator serves its health endpoints' },
      );
      const address = String(
        lines.find(l => l['message'] === 'serving /metrics, /healthz and /readyz')!['address'],
      );
      expect((await fetch(`http://${address}/readyz`)).status).not.toBe(200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(lines.map(l => l['message'])).toEqual(
        expect.arrayContaining([
          'stopping: finishing in-flight records',
          'operator stopped before it started',
        ]),
      );
      expect(lines.filter(l => l['level'] === 'error')).toEqual([]);
    } finally {
      emulator.faults.clear();
    }
  }, 60_000);
});
