// SPDX-License-Identifier: Apache-2.0
// An operator SIGKILLed in the middle of a workflow: the built chaosplane-operator runs as a
// child process (PodChaos loaded, orchestration on) against a kube-emulator, and is killed while
// the first pod-failure is injected, during the Suspend, and while the second is injected, then
// started again each time. The workflow must go on from where it was: every node and every
// chaos object created exactly once (a watch sees each ADDED once, none re-created), and at the
// end nothing left injected (the pods have their images back, no PodChaos is left).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { eventually } from '@chaosplane/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const OPERATOR = path.join(repo, 'packages/operator/bin/chaosplane-operator.js');
const NS = 'shop';
type Obj = Record<string, any>;

let emulator: KubeEmulator;
let kube: KubeConnection;
let operator: { child: ChildProcess; exited: Promise<unknown>; output: () => string } | undefined;
const added = new Map<string, number>();
const stopWatches = new AbortController();

function startOperator() {
  const child = spawn(
    process.execPath,
    [
      OPERATOR,
      '--kubeconfig',
      emulator.kubeconfigPath,
      '--plugin',
      '@chaosplane/experiment-podchaos',
      '--install-crds',
      '--http-addr',
      '127.0.0.1:0',
      '--daemon-address',
      '127.0.0.1',
      '--daemon-insecure',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise(resolve => child.on('exit', resolve));
  operator = { child, exited, output: () => output };
}

async function killOperator() {
  if (!operator) return;
  operator.child.kill('SIGKILL');
  await operator.exited;
  operator = undefined;
}

/** Counts ADDED events per `kind/name` of a collection, from the start. */
function watchAdded(kind: string, path: string) {
  void kube
    .watch<Obj>(
      path,
      { resourceVersion: '0' },
      event => {
        if (event.type !== 'ADDED') return;
        const key = `${kind}/${(event.object as Obj)['metadata'].name}`;
        added.set(key, (added.get(key) ?? 0) + 1);
      },
      stopWatches.signal,
    )
    .catch(() => undefined);
}

beforeAll(async () => {
  if (!existsSync(path.join(repo, 'packages/operator/dist/cli/operator.js')))
    throw new Error('the operator is not built: run npm run build first');
  emulator = await startKubeEmulator();
  const config = new KubeConfig();
  config.loadFromString(emulator.kubeConfig);
  kube = createKubeConnection(config);
  await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } });
  // Running pods (no kubelet here: their status is written as one would).
  for (const name of ['web-0', 'web-1']) {
    const pod = await kube.request<Obj>('POST', `/api/v1/namespaces/${NS}/pods`, {
      body: {
        metadata: { name, labels: { app: 'web' } },
        spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'nginx:1.27' }] },
      },
    });
    await kube.request('PUT', `/api/v1/namespaces/${NS}/pods/${name}/status`, {
      body: { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
    });
  }
});
afterAll(async () => {
  stopWatches.abort();
  await killOperator();
  kube?.close();
  await emulator?.stop();
});

const images = async () =>
  (await kube.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${NS}/pods`)).items.map(
    p => p['spec'].containers[0].image as string,
  );
const nodeByTemplate = async (template: string) =>
  (
    await kube.request<{ items: Obj[] }>(
      'GET',
      `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/workflownodes`,
    )
  ).items.find(n => n['spec'].templateName === template);
const condition = (obj: Obj | undefined, type: string) =>
  (obj?.['status']?.conditions ?? []).find((c: Obj) => c['type'] === type)?.status;

describe('operator SIGKILL in the middle of a workflow', () => {
  it('goes on where it was after each restart: no step twice, nothing left injected', async () => {
    startOperator();
    await eventually(
      () =>
        kube
          .request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/workflows.chaos-mesh.org')
          .then(() => true),
      { what: 'CRDs installed', timeoutMs: 30_000 },
    );
    watchAdded('WorkflowNode', `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/workflownodes`);
    watchAdded('PodChaos', `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/podchaos`);
    await kube.request('POST', `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/workflows`, {
      body: {
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'crashy' },
        spec: {
          entry: 'the-entry',
          templates: [
            {
              name: 'the-entry',
              templateType: 'Serial',
              deadline: '5m',
              children: ['fail-a', 'pause', 'fail-b'],
            },
            {
              name: 'fail-a',
              templateType: 'PodChaos',
              deadline: '6s',
              podChaos: { action: 'pod-failure', mode: 'all', selector: { labelSelectors: { app: 'web' } } },
            },
            { name: 'pause', templateType: 'Suspend', deadline: '5s' },
            {
              name: 'fail-b',
              templateType: 'PodChaos',
              deadline: '6s',
              podChaos: { action: 'pod-failure', mode: 'all', selector: { labelSelectors: { app: 'web' } } },
            },
          ],
        },
      },
    });
    const injected = async () => (await images()).every(image => image !== 'nginx:1.27');
    // 1: killed while fail-a is injected.
    await eventually(injected, {
      what: 'fail-a injected',
      timeoutMs: 30_000,
      describe: async () => JSON.stringify(await kube.request('GET', `/api/v1/namespaces/${NS}/events`)),
    });
    await killOperator();
    startOperator();
    // 2: killed during the Suspend (fail-a recovered, its deadline passed).
    await eventually(async () => (await nodeByTemplate('pause')) !== undefined, {
      what: 'pause started',
      timeoutMs: 30_000,
    });
    await killOperator();
    await new Promise(resolve => setTimeout(resolve, 1_000));
    startOperator();
    // 3: killed while fail-b is injected.
    await eventually(async () => (await nodeByTemplate('fail-b')) !== undefined && (await injected()), {
      what: 'fail-b injected',
      timeoutMs: 30_000,
    });
    await killOperator();
    startOperator();
    await eventually(
      async () =>
        condition(
          await kube.request<Obj>('GET', `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/workflows/crashy`),
          'Accomplished',
        ) === 'True',
      { what: 'workflow accomplished', timeoutMs: 60_000, describe: () => operator?.output() ?? '' },
    );
    await eventually(
      async () =>
        (
          await kube.request<{ items: Obj[] }>(
            'GET',
            `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/podchaos`,
          )
        ).items.length === 0,
      { what: 'every PodChaos recovered and gone', timeoutMs: 30_000 },
    );
    expect(await images()).toEqual(['nginx:1.27', 'nginx:1.27']);
    // Each node and each chaos object was created once: four nodes, two PodChaos, no re-creation.
    const nodes = [...added].filter(([key]) => key.startsWith('WorkflowNode/'));
    const chaos = [...added].filter(([key]) => key.startsWith('PodChaos/'));
    expect(nodes.map(([key]) => key.split('/')[1]!.replace(/-[a-z0-9]{5}$/, '')).sort()).toEqual([
      'fail-a',
      'fail-b',
      'pause',
      'the-entry',
    ]);
    expect(chaos).toHaveLength(2);
    expect([...added.values()].every(count => count === 1)).toBe(true);
    for (const template of ['fail-a', 'pause', 'fail-b'])
      expect(condition(await nodeByTemplate(template), 'DeadlineExceed')).toBe('True');
  }, 180_000);
});
