// SPDX-License-Identifier: Apache-2.0
// A Chaos Mesh-shaped CRD (no status subresource, as its Helm chart leaves it after an
// uninstall) under a kind the operator loads: the chaosplane-operator binary refuses to start
// within seconds, naming the CRD and the fix, before touching any object, so deleting an object
// of that kind completes; with --install-crds it replaces the CRD and runs. Runs the build's dist.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { eventually } from '@chaosplane/testing';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const binary = path.join(repo, 'packages/operator/dist/cli/operator.js');
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const OBJECTS = '/apis/chaos-mesh.org/v1alpha1/namespaces/default/podchaos';

/** Runs the operator binary for the PodChaos plugin; resolves with its exit code and output once it exits or `until` sees a line. */
function runOperator(emulator: KubeEmulator, extra: string[], until?: (line: string) => boolean) {
  const child = spawn(
    process.execPath,
    [
      binary,
      `--kubeconfig=${emulator.kubeconfigPath}`,
      '--plugin=@chaosplane/experiment-podchaos',
      '--daemon-insecure',
      ...extra,
    ],
    { cwd: repo, env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const started = Date.now();
  return new Promise<{ code: number | null; output: string; ms: number; stop: () => void }>(resolve => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (until && output.split('\n').some(until))
        resolve({ code: null, output, ms: Date.now() - started, stop: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', code => resolve({ code, output, ms: Date.now() - started, stop: () => undefined }));
  });
}

describe('the operator with a Chaos Mesh-shaped CRD installed', () => {
  let emulator: KubeEmulator;
  let kube: KubeConnection;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    kube = createKubeConnection(loadKubeConfig(emulator.kubeconfigPath));
    const crd = parse(
      await readFile(path.join(repo, 'deploy/crds/chaos-mesh.org_podchaos.yaml'), 'utf8'),
    ) as {
      metadata: { labels?: Record<string, string> };
      spec: { versions: { subresources?: object }[] };
    };
    delete crd.metadata.labels;
    delete crd.spec.versions[0]!.subresources;
    await kube.request('POST', CRDS, { body: crd });
    await eventually(
      () =>
        kube.request('GET', OBJECTS).then(
          () => true,
          () => undefined,
        ),
      { what: 'PodChaos served' },
    );
    await kube.request('POST', OBJECTS, {
      body: {
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'PodChaos',
        metadata: { name: 'left-behind' },
        spec: { action: 'pod-failure', mode: 'all', selector: { namespaces: ['default'] } },
      },
    });
  });
  afterAll(async () => {
    kube?.close();
    await emulator?.stop();
  });

  it('refuses to start within seconds, naming the CRD and the fix; deleting the object completes', async () => {
    const { code, output, ms } = await runOperator(emulator, []);
    expect(code).not.toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(output).toContain(
      "CRD podchaos.chaos-mesh.org has no status subresource (it looks like Chaos Mesh's)",
    );
    expect(output).toContain('--install-crds');
    const obj = await kube.request<{ metadata: { finalizers?: string[] } }>('GET', `${OBJECTS}/left-behind`);
    expect(obj.metadata.finalizers ?? []).toEqual([]);
    await kube.request('DELETE', `${OBJECTS}/left-behind`);
    await eventually(
      () =>
        kube.request('GET', `${OBJECTS}/left-behind`).then(
          () => undefined,
          () => true,
        ),
      {
        what: 'the object is gone',
      },
    );
  });

  it('with --install-crds, replaces the CRD and runs', async () => {
    const run = await runOperator(emulator, ['--install-crds', '--http-addr=127.0.0.1:0'], line =>
      line.includes('operator started'),
    );
    run.stop();
    expect(run.output).toContain('operator started');
    const crd = await kube.request<{ spec: { versions: { subresources?: { status?: object } }[] } }>(
      'GET',
      `${CRDS}/podchaos.chaos-mesh.org`,
    );
    expect(crd.spec.versions[0]!.subresources?.status).toEqual({});
  });
});
