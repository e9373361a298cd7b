// SPDX-License-Identifier: Apache-2.0
// `chaosplane explain` on a Schedule and a Workflow: the next five runs, the template tree, and
// the node tree of a workflow that runs in the cluster.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import podChaos from '@chaosplane/experiment-podchaos';
import { createSilentLogger } from '@chaosplane/service';
import { explainManifest, formatExplanations } from '../src/commands/explain.js';
import { installCrds } from '../src/operator/installCrds.js';

const MANIFEST = `apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: nightly}
spec:
  schedule: "TZ=UTC 30 2 * * *"
  type: PodChaos
  podChaos: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}
---
apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: steps}
spec:
  entry: the-entry
  templates:
    - {name: the-entry, templateType: Serial, deadline: 5m, children: [kill, pause]}
    - name: kill
      templateType: PodChaos
      deadline: 30s
      podChaos: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}
    - {name: pause, templateType: Suspend, deadline: 10s}
---
apiVersion: chaos-mesh.org/v1alpha1
kind: Schedule
metadata: {name: broken}
spec: {schedule: "61 * * * *", type: PodChaos, podChaos: {action: pod-kill, mode: one, selector: {}}}
`;

describe('chaosplane explain: Schedule and Workflow', () => {
  let emulator: KubeEmulator;
  let kube: KubeConnection;
  let dir: string;
  beforeAll(async () => {
    emulator = await startKubeEmulator();
    const config = new KubeConfig();
    config.loadFromString(emulator.kubeConfig);
    kube = createKubeConnection(config);
    await installCrds(kube, [podChaos.kind], createSilentLogger());
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-explain-orch-'));
    await writeFile(path.join(dir, 'manifest.yaml'), MANIFEST);
    // The workflow runs: its entry node and a first child, as the operator writes them.
    const base = '/apis/chaos-mesh.org/v1alpha1/namespaces/default';
    await kube.request('POST', `${base}/workflows`, {
      body: {
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'steps' },
        spec: {
          entry: 'the-entry',
          templates: [{ name: 'the-entry', templateType: 'Serial', children: [] }],
        },
      },
    });
    const node = (name: string, template: string, type: string, parent: string, accomplished: boolean) => ({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'WorkflowNode',
      metadata: {
        name,
        labels: { 'chaos-mesh.org/controlled-by': parent, 'chaos-mesh.org/workflow': 'steps' },
      },
      spec: { templateName: template, workflowName: 'steps', type, startTime: '2026-01-01T00:00:00Z' },
      status: { conditions: [{ type: 'Accomplished', status: accomplished ? 'True' : 'False', reason: '' }] },
    });
    await kube.request('POST', `${base}/workflownodes`, {
      body: node('the-entry-abcde', 'the-entry', 'Serial', 'steps', false),
    });
    await kube.request('POST', `${base}/workflownodes`, {
      body: node('kill-fghjk', 'kill', 'PodChaos', 'the-entry-abcde', false),
    });
  });
  afterAll(async () => {
    kube?.close();
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows a Schedule's next five runs, a Workflow's template and node trees, and what is invalid", async () => {
    const results = await explainManifest({
      file: path.join(dir, 'manifest.yaml'),
      plugins: ['@chaosplane/experiment-podchaos'],
      kubeconfig: emulator.kubeconfigPath,
    });
    const text = formatExplanations(results);
    const lines = text.split('\n');
    const at = lines.indexOf('Schedule default/nightly');
    expect(lines[at + 1]).toBe('  next runs:');
    const runs = lines.slice(at + 2, at + 7).map(l => l.trim());
    expect(runs).toHaveLength(5);
    for (const run of runs) expect(run).toMatch(/^\d{4}-\d{2}-\d{2}T02:30:00\.000Z$/);
    expect(Date.parse(runs[1]!) - Date.parse(runs[0]!)).toBe(86_400_000);
    expect(Date.parse(runs[0]!)).toBeGreaterThan(Date.now());
    expect(text).toContain(
      [
        'Workflow default/steps',
        '  templates:',
        '    the-entry (Serial, deadline 5m)',
        '    ├─ kill (PodChaos, deadline 30s)',
        '    └─ pause (Suspend, deadline 10s)',
        '  nodes:',
        '    the-entry-abcde (Serial) Running',
        '    └─ kill-fghjk (PodChaos) Running',
      ].join('\n'),
    );
    expect(text).toContain(
      'Schedule default/broken\n  invalid, would never run: spec.schedule: Invalid value: "61 * * * *": parse schedule field error:end of range (61) above maximum (59): 61',
    );
  });
});
