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
import { createKubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { applyManifestFile } from '@chaosplane/dev';
import { explainManifest, formatExplanations } from '../src/commands/explain.js';
import { parseExplainArgs } from '../src/config/explainArgs.js';
import { parseOperatorArgs } from '../src/config/operatorArgs.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const plugins = ['@chaosplane/experiment-helloworld'];
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Marks a pod Running with one ready container, as a kubelet would. */
async function markRunning(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  const pod = await core.readNamespacedPod({ name, namespace });
  await core.replaceNamespacedPodStatus({
    name,
    namespace,
    body: {
      ...pod,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: pod.spec!.containers[0]!.name,
            image: 'busybox',
            imageID: '',
            ready: true,
            restartCount: 0,
            containerID: `containerd://${name}`,
          },
        ],
      },
    },
  });
}

describe('chaosplane explain', () => {
  let emulator: KubeEmulator;
  let dir: string;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-explain-'));
    const kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    const connection = createKubeConnection(kube);
    await applyManifestFile(connection, path.join(repo, 'examples/busybox.yaml'));
    connection.close();
    // busybox-0 runs; busybox-1 stays Pending (no kubelet here).
    const core = kube.makeApiClient(CoreV1Api);
    await markRunning(core, 'busybox', 'busybox-0');
    // A running pod in the operator's own namespace, and two Nodes for the fixture's selector.
    await core.createNamespace({ body: { metadata: { name: 'chaosplane' } } });
    await core.createNamespacedPod({
      namespace: 'chaosplane',
      body: {
        metadata: { name: 'chaosplane-operator-0', labels: { app: 'operator' } },
        spec: { containers: [{ name: 'operator', image: 'busybox' }] },
      },
    });
    await markRunning(core, 'chaosplane', 'chaosplane-operator-0');
    for (const name of ['node-a', 'node-b']) await core.createNode({ body: { metadata: { name } } });
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
        path.join(repo, 'packages/cli/bin/chaosplane.js'),
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

  it("never lists a pod of the operator's own namespace, as the operator would refuse it", async () => {
    const manifest = path.join(dir, 'operator-namespace.yaml');
    await writeFile(
      manifest,
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: HelloWorldChaos\n' +
        'metadata: {name: hit-the-operator, namespace: chaosplane}\n' +
        'spec: {mode: all, selector: {namespaces: [chaosplane]}}\n',
    );
    // The operator's default namespace (chaosplane-operator --namespace) is protected.
    const [refused] = await explainManifest({ file: manifest, plugins, kubeconfig: emulator.kubeconfigPath });
    const selection = refused!.selections['.']!;
    expect(selection.targets).toEqual([]);
    expect(selection.namespaces).toEqual([
      expect.objectContaining({
        name: 'chaosplane',
        eligible: false,
        reason: 'namespace chaosplane is protected',
      }),
    ]);
    expect(formatExplanations([refused!])).toContain(
      'namespace chaosplane: skipped, namespace chaosplane is protected',
    );

    // An operator running elsewhere may select it: the gate, not the pod, refused above.
    const [allowed] = await explainManifest({
      file: manifest,
      plugins,
      kubeconfig: emulator.kubeconfigPath,
      namespace: 'ops',
    });
    expect(allowed!.selections['.']!.targets.map(t => t.id)).toEqual([
      'chaosplane/chaosplane-operator-0/operator',
    ]);

    // Namespace-scoped mode: only the target namespace may be read.
    const [scoped] = await explainManifest({
      file: path.join(repo, 'examples/helloworld.yaml'),
      plugins,
      kubeconfig: emulator.kubeconfigPath,
      namespace: 'ops',
      selection: { filterNamespaces: false, targetNamespace: 'elsewhere' },
    });
    expect(scoped!.selections['.']!.targets).toEqual([]);
    // Chaos Mesh's error for a selector that reaches outside the scoped namespace.
    expect(scoped!.selections['.']!.error?.message).toBe(
      'could NOT list pods from out of scoped namespace: busybox',
    );
  });

  it('dispatches to a selector kind a plugin registers, as the operator does', async () => {
    const manifest = path.join(dir, 'node-fixture.yaml');
    await writeFile(
      manifest,
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: NodeFixtureChaos\n' +
        'metadata: {name: nodes, namespace: default}\nspec: {nodeNames: [node-b, node-z]}\n',
    );
    const [result] = await explainManifest({
      file: manifest,
      plugins: ['./nodeSelectorPlugin.ts'],
      pluginsFrom: fixtures,
      kubeconfig: emulator.kubeconfigPath,
    });
    expect(result!.violations).toEqual([]);
    expect(result!.selections['.']).toMatchObject({ kind: 'node', targets: [{ id: 'node/node-b' }] });
  });

  it("takes the operator's plugin and selection flags, with the same meaning", async () => {
    const shared = [
      '--plugin',
      '@chaosplane/experiment-helloworld',
      '--namespace',
      'ops',
      '--protected-namespaces',
      'kube-system, secret',
      '--target-namespace',
      'team-a',
    ];
    const env = { CHAOSPLANE_FILTER_NAMESPACES: 'true' };
    const explain = await parseExplainArgs(['-f', 'chaos.yaml', ...shared], env);
    const operator = await parseOperatorArgs(['--daemon-insecure', ...shared], env);
    expect(explain).toEqual({
      file: 'chaos.yaml',
      plugins: operator.plugins,
      namespace: operator.namespace,
      selection: operator.selection,
      json: false,
    });
    expect(explain.selection).toEqual({
      protectedNamespaces: ['kube-system', 'secret'],
      filterNamespaces: true,
      targetNamespace: 'team-a',
    });
    await expect(parseExplainArgs(['--namespace', 'ops'], {})).rejects.toThrow(/--file/);
  });
});
