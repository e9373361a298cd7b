// SPDX-License-Identifier: Apache-2.0
// --install-crds writes the generated CRD unchanged (no field lost on the way) and upgrades it
// in place on a second start.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';
import { generateCrd } from '@chaosplane/engine';
import { type ChaosPlugin } from '@chaosplane/sdk';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { installCrds } from '@chaosplane/operator';

describe('installCrds', () => {
  let emulator: KubeEmulator;
  let kube: KubeConnection;
  let config: KubeConfig;
  let plugin: ChaosPlugin;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    config = new KubeConfig();
    config.loadFromString(emulator.kubeConfig);
    kube = createKubeConnection(config);
    [plugin] = (await loadPlugins(['@chaosplane/experiment-helloworld'])) as [ChaosPlugin];
  });
  afterAll(async () => {
    kube.close();
    await emulator.stop();
  });

  it('installs the CRD with its whole schema, then upgrades it in place', async () => {
    // Without orchestration, the plugin's CRD alone.
    expect(await installCrds(kube, [plugin.kind], createSilentLogger(), false)).toEqual([
      'helloworldchaos.chaos-mesh.org',
    ]);
    // By default, with the orchestration kinds that embed it.
    const names = await installCrds(kube, [plugin.kind], createSilentLogger());
    expect(names).toEqual([
      'helloworldchaos.chaos-mesh.org',
      'schedules.chaos-mesh.org',
      'workflows.chaos-mesh.org',
      'workflownodes.chaos-mesh.org',
      'statuschecks.chaos-mesh.org',
    ]);
    const client = createKubeConnection(config);
    try {
      const read = () =>
        client.request<{
          metadata: { resourceVersion: string };
          spec: { versions: Array<{ schema: unknown }> };
        }>('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helloworldchaos.chaos-mesh.org');
      const first = await read();
      const expected = generateCrd(plugin.kind).spec.versions[0]!.schema;
      expect(first.spec.versions[0]!.schema).toEqual(JSON.parse(JSON.stringify(expected)));
      const text = JSON.stringify(first.spec.versions[0]!.schema);
      for (const kept of ['"enum"', 'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields']) {
        expect(text).toContain(kept);
      }

      await installCrds(kube, [plugin.kind], createSilentLogger());
      const second = await read();
      expect(second.spec.versions[0]!.schema).toEqual(first.spec.versions[0]!.schema);
    } finally {
      client.close();
    }
  });

  it('makes the spec immutable with Chaos Mesh’s message, as the API server enforces it', async () => {
    await installCrds(kube, [plugin.kind], createSilentLogger());
    const client = createKubeConnection(config);
    const path = '/apis/chaos-mesh.org/v1alpha1/namespaces/default/helloworldchaos';
    try {
      const created = await client.request<{
        metadata: Record<string, unknown>;
        spec: Record<string, unknown>;
      }>('POST', path, {
        body: {
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'HelloWorldChaos',
          metadata: { name: 'frozen' },
          spec: { mode: 'all', selector: { namespaces: ['default'] } },
        },
      });
      const changed = { ...created, spec: { ...created.spec, mode: 'one' } };
      await expect(client.request('PUT', `${path}/frozen`, { body: changed })).rejects.toThrow(
        'Cannot update chaos spec',
      );
      // Metadata changes (labels, the engine's finalizer) are still allowed.
      const labelled = { ...created, metadata: { ...created.metadata, labels: { team: 'sre' } } };
      await expect(client.request('PUT', `${path}/frozen`, { body: labelled })).resolves.toBeDefined();
    } finally {
      client.close();
    }
  });
});
