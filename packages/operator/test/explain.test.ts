// SPDX-License-Identifier: Apache-2.0
// `chaosplane explain`: the dry run reads the cluster through the same validation and selection
// code as the operator, and writes nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { applyManifestFile, explainManifest, formatExplanations } from '@chaosplane/operator';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const plugins = ['@chaosplane/experiment-helloworld'];

describe('chaosplane explain', () => {
  let emulator: KubeEmulator;
  let dir: string;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-explain-'));
    const kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    await applyManifestFile(kube, path.join(repo, 'examples/busybox.yaml'));
    // busybox-0 runs; busybox-1 stays Pending (no kubelet here).
    const core = kube.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: 'busybox-0', namespace: 'busybox' });
    await core.replaceNamespacedPodStatus({
      name: 'busybox-0',
      namespace: 'busybox',
      body: {
        ...pod,
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'busybox',
              image: 'busybox',
              imageID: '',
              ready: true,
              restartCount: 0,
              containerID: 'containerd://x',
            },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the targets of examples/helloworld.yaml and why the other pod is left alone', async () => {
    const before = emulator.resourceVersion;
    const [result] = await explainManifest({
      file: path.join(repo, 'examples/helloworld.yaml'),
      plugins,
      kubeconfig: emulator.kubeconfigPath,
    });
    expect(result).toMatchObject({
      kind: 'HelloWorldChaos',
      namespace: 'busybox',
      name: 'busybox-helloworld-chaos',
    });
    expect(result!.violations).toEqual([]);
    const selection = result!.selections['.']!;
    expect(selection.targets.map(t => t.id)).toEqual(['busybox/busybox-0/busybox']);
    const excluded = selection.excluded.find(e => e.id.startsWith('busybox/busybox-1'));
    expect(excluded?.reasons.join(' ')).toMatch(/Pending/);
    // A dry run writes nothing.
    expect(emulator.resourceVersion).toBe(before);
    expect(formatExplanations([result!])).toContain('target   busybox/busybox-0/busybox');
  });

  it('reports spec violations instead of selecting, from the CLI', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: HelloWorldChaos\nmetadata: {name: bad, namespace: busybox}\n' +
        'spec: {mode: fixed, value: "0", selector: {namespaces: [busybox]}}\n',
    );
    const { stdout } = await run(
      process.execPath,
      [
        path.join(repo, 'packages/operator/dist/cli/chaosplane.js'),
        'explain',
        '-f',
        bad,
        '--kubeconfig',
        emulator.kubeconfigPath,
        '--plugin',
        '@chaosplane/experiment-helloworld',
      ],
      { cwd: repo },
    );
    expect(stdout).toContain('HelloWorldChaos busybox/bad');
    expect(stdout).toContain(
      'invalid, would never be injected: spec.value: value must be greater than 0 with mode:fixed',
    );
  });
});
