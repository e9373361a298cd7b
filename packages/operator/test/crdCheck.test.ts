// SPDX-License-Identifier: Apache-2.0
// The operator's start-up CRD check, through startOperator against a real kube-emulator: with
// orchestration (the default) the Schedule, Workflow, WorkflowNode and StatusCheck CRDs are
// checked as the chaos kinds' are. A missing one, one made for other chaos kinds, and Chaos
// Mesh-shaped ones (no status subresource where ours has one, one where ours has none) each stop
// the start with the error that names the CRD and --install-crds; without orchestration they are
// not looked at. And as its ServiceAccount under the shipped RBAC (deploy/rbac applied as it
// ships, enforced by the emulator) the operator may read every CRD it checks.
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { applyManifests } from '@chaosplane/dev';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { installCrds, parseManifests, parseOperatorArgs, startOperator } from '@chaosplane/operator';
import type { ChaosKind } from '@chaosplane/sdk';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const PLUGINS = ['@chaosplane/experiment-helloworld', '@chaosplane/experiment-podchaos'];

interface Crd {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  spec: { versions: Array<{ subresources?: { status?: object } }> };
}

describe('the start-up CRD check with orchestration', () => {
  let emulator: KubeEmulator;
  let kube: KubeConnection;
  let kinds: ChaosKind[];
  const log = createSilentLogger();

  /** Starts the operator on `kubeconfig` and stops it again; rejects with the start's error. */
  async function startAndStop(kubeconfig: string, orchestration?: boolean): Promise<void> {
    const options = await parseOperatorArgs(
      [
        `--kubeconfig=${kubeconfig}`,
        ...PLUGINS.map(p => `--plugin=${p}`),
        '--daemon-insecure',
        '--http-addr=127.0.0.1:0',
      ],
      {},
    );
    const stop = new AbortController();
    const operator = await startOperator(
      { ...options, pluginsFrom: repo, ...(orchestration !== undefined ? { orchestration } : {}) },
      log,
      stop.signal,
    );
    stop.abort();
    await operator.done;
  }
  const start = (orchestration?: boolean) => startAndStop(emulator.kubeconfigPath, orchestration);

  /** Rewrites the served CRD `name` with `change`. */
  async function editCrd(name: string, change: (crd: Crd) => void): Promise<void> {
    const crd = await kube.request<Crd>('GET', `${CRDS}/${name}`);
    change(crd);
    await kube.request('PUT', `${CRDS}/${name}`, { body: crd });
  }

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    kube = createKubeConnection(loadKubeConfig(emulator.kubeconfigPath));
    kinds = (await loadPlugins(PLUGINS, { from: repo })).map(p => p.kind);
  });
  afterAll(async () => {
    kube?.close();
    await emulator?.stop();
  });
  // Each case starts from the CRDs --install-crds writes for the loaded kinds.
  beforeEach(() => installCrds(kube, kinds, log));

  it('starts when every CRD is the one --install-crds writes', async () => {
    await expect(start()).resolves.toBeUndefined();
  });

  it('refuses a missing orchestration CRD, naming it and the fix; without orchestration it is not needed', async () => {
    await kube.request('DELETE', `${CRDS}/statuschecks.chaos-mesh.org`);
    await expect(start()).rejects.toThrow(
      /^CRD statuschecks\.chaos-mesh\.org is not installed\. Start the operator with --install-crds .*nothing was started\.$/,
    );
    await expect(start(false)).resolves.toBeUndefined();
  });

  it('refuses orchestration CRDs made for other chaos kinds, naming the kind they miss', async () => {
    // As before HelloWorldChaos was added to an operator: the CRDs embed PodChaos only.
    await installCrds(
      kube,
      kinds.filter(k => k.kind === 'PodChaos'),
      log,
    );
    const error = await start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(
      'CRD schedules.chaos-mesh.org does not embed HelloWorldChaos (spec.helloworldChaos): it was made for other chaos kinds',
    );
    expect(error?.message).toContain(
      'CRD workflows.chaos-mesh.org does not embed HelloWorldChaos (spec.templates[].helloworldChaos)',
    );
    expect(error?.message).not.toContain('statuschecks');
    expect(error?.message).toContain('--install-crds');
  });

  it("refuses Chaos Mesh-shaped orchestration CRDs: a status subresource missing, or one Schedule's has not", async () => {
    await editCrd('workflows.chaos-mesh.org', crd => {
      delete crd.metadata.labels;
      delete crd.spec.versions[0]!.subresources;
    });
    await editCrd('schedules.chaos-mesh.org', crd => {
      crd.spec.versions[0]!.subresources = { status: {} };
    });
    const error = await start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(
      "CRD workflows.chaos-mesh.org has no status subresource (it looks like Chaos Mesh's): the operator could not record what it injects",
    );
    expect(error?.message).toContain(
      "CRD schedules.chaos-mesh.org has a status subresource: the operator's status writes would be dropped",
    );
  });

  it('as its ServiceAccount under the shipped RBAC, reads every CRD it checks', async () => {
    const objects = [];
    for (const file of [
      'namespace.yaml',
      'rbac/operator.yaml',
      'rbac/chaos-kinds.yaml',
      'rbac/podchaos.yaml',
      'rbac/orchestration.yaml',
    ])
      objects.push(...parseManifests(await readFile(path.join(repo, 'deploy', file), 'utf8')));
    await applyManifests(kube, objects);
    const { token } = await emulator.createToken('chaosplane', 'chaosplane-operator');
    const kubeconfig = path.join(os.tmpdir(), `cp-crd-check-${process.pid}.kubeconfig`);
    await writeFile(kubeconfig, emulator.kubeConfigFor(token), { mode: 0o600 });
    try {
      await expect(startAndStop(kubeconfig)).resolves.toBeUndefined();
      // The check's reads are what the role allows: without the orchestration CRDs' names, a 403.
      const role = objects.find(
        o => o.kind === 'ClusterRole' && o.metadata?.name === 'chaosplane-operator-crds',
      )!;
      const rule = (role as unknown as { rules: Array<{ resourceNames: string[] }> }).rules[0]!;
      await applyManifests(kube, [
        {
          ...role,
          rules: [{ ...rule, resourceNames: rule.resourceNames.filter(n => !n.startsWith('schedules.')) }],
        },
      ] as typeof objects);
      await expect(startAndStop(kubeconfig)).rejects.toThrow(
        /customresourcedefinitions.apiextensions.k8s.io "schedules.chaos-mesh.org" is forbidden/,
      );
    } finally {
      await rm(kubeconfig, { force: true });
    }
  });
});
