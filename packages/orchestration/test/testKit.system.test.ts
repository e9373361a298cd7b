// SPDX-License-Identifier: Apache-2.0
// Schedule and Workflow for real, on the plugin test kit (the dev control plane: kube-emulator,
// containerd pods, the daemon and the operator with its orchestration controllers), on the
// system clock: Chaos Mesh's schedule-podchaos.yaml applied unchanged with kubectl (`@every 5s`
// pod-kills), a Serial workflow of a pod-kill, a Suspend and a HelloWorldChaos, and Task
// templates whose real containers' exit codes and output (pods/log) select the branches.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const PLUGINS = [
  path.join(repo, 'packages/experiment-podchaos/src/index.ts'),
  path.join(repo, 'packages/experiment-helloworld/src/index.ts'),
];
const TIKV = { 'app.kubernetes.io/component': 'tikv' };

type Obj = Record<string, any>;

describeIf(testKitUnavailableReason())('Schedule and Workflow in the dev control plane', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({
      plugins: PLUGINS,
      pods: [
        { name: 'tikv-0', labels: TIKV },
        { name: 'tikv-1', labels: TIKV },
        { name: 'tikv-2', labels: TIKV },
        { name: 'web-0', labels: { app: 'web' } },
      ],
    });
  }, 180_000);
  afterAll(() => kit?.close(), 60_000);
  // A test that failed half-way must not leave its schedule killing pods under the next one.
  afterEach(async () => {
    await kit?.kubectl(['delete', '-n', kit.namespace, 'schedule,workflow', '--all', '--wait=false']);
  }, 30_000);

  const list = async (plural: string, labels: string) =>
    (
      await kit.kube.request<{ items: Obj[] }>(
        'GET',
        `/apis/chaos-mesh.org/v1alpha1/namespaces/${kit.namespace}/${plural}`,
        {
          query: { labelSelector: labels },
        },
      )
    ).items;
  const podNames = async () =>
    (await kit.kube.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${kit.namespace}/pods`)).items
      .filter(p => !p['metadata'].deletionTimestamp)
      .map(p => p['metadata'].name as string);

  it("Chaos Mesh's schedule-podchaos.yaml, unchanged: a pod-kill every 5 seconds", async () => {
    const manifest = readFileSync(path.join(here, 'fixtures/chaos-mesh/schedule-podchaos.yaml'), 'utf8');
    // Before the apply: `@every 5s` counts from the creation time rounded down to the second (as
    // robfig/cron does), so the second run comes 9-10 s after the creation, and kubectl may return
    // a second or more after it (a CI run saw 8,972 ms when this was taken after).
    const started = Date.now();
    expect(await kit.kubectl(['apply', '-n', kit.namespace, '-f', '-'], manifest)).toContain(
      'schedule.chaos-mesh.org/schedule-pod-kill-example created',
    );
    // Two runs, five seconds apart, each killing one tikv pod.
    const runs = await eventually(
      async () => {
        const events = (await kit.events('schedule-pod-kill-example')).filter(e => e.reason === 'Spawned');
        return events.length >= 2 && events;
      },
      { what: 'two runs', timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect(runs[0]!.message).toMatch(/^Create new object: schedule-pod-kill-example-[a-z0-9]{5}$/);
    await kit.kubectl([
      'annotate',
      '-n',
      kit.namespace,
      'schedule',
      'schedule-pod-kill-example',
      'experiment.chaos-mesh.org/pause=true',
    ]);
    await eventually(async () => (await podNames()).filter(n => n.startsWith('tikv-')).length <= 1, {
      what: 'two tikv pods killed',
      timeoutMs: 20_000,
    });
    expect(await podNames()).toContain('web-0');
    const spawned = await list('podchaos', 'managed-by=schedule-pod-kill-example');
    expect(spawned.length).toBeGreaterThanOrEqual(2);
    expect(spawned.every(c => c['spec'].action === 'pod-kill')).toBe(true);
    const table = await kit.kubectl(['get', 'schedule', '-n', kit.namespace]);
    expect(table).toMatch(/^NAME\s+AGE\nschedule-pod-kill-example\s+\d+s\n$/);
    await kit.kubectl(['delete', '-n', kit.namespace, 'schedule', 'schedule-pod-kill-example']);
    // Garbage collection takes what the schedule spawned with it.
    await eventually(
      async () => (await list('podchaos', 'managed-by=schedule-pod-kill-example')).length === 0,
      {
        what: 'children collected',
        timeoutMs: 20_000,
      },
    );
  }, 90_000);

  it('a Serial workflow: pod-kill, Suspend, HelloWorldChaos, each for real, in order', async () => {
    const manifest = `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: serial-real}
spec:
  entry: the-entry
  templates:
    - {name: the-entry, templateType: Serial, children: [kill, pause, hello]}
    - name: kill
      templateType: PodChaos
      deadline: 3s
      podChaos: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}
    - {name: pause, templateType: Suspend, deadline: 3s}
    - name: hello
      templateType: HelloWorldChaos
      deadline: 4s
      helloworldChaos: {mode: all, selector: {labelSelectors: {"app.kubernetes.io/component": tikv}}}
`;
    await kit.kubectl(['apply', '-n', kit.namespace, '-f', '-'], manifest);
    await eventually(async () => !(await podNames()).includes('web-0'), {
      what: 'web-0 killed',
      timeoutMs: 20_000,
    });
    const hello = await eventually(
      async () => (await list('helloworldchaos', 'chaos-mesh.org/workflow=serial-real'))[0],
      {
        what: 'the HelloWorldChaos after the pause',
        timeoutMs: 30_000,
      },
    );
    await kit.waitForRecords({ plural: 'helloworldchaos', name: hello['metadata'].name }, PHASE_INJECTED);
    await eventually(
      async () => {
        const wf = await kit.kubectl(['get', 'workflow', 'serial-real', '-n', kit.namespace, '-o', 'json']);
        return (JSON.parse(wf) as Obj)['status'].conditions.some(
          (c: Obj) => c['type'] === 'Accomplished' && c['status'] === 'True',
        );
      },
      { what: 'workflow accomplished', timeoutMs: 30_000 },
    );
    await kit.waitForDeletion({ plural: 'helloworldchaos', name: hello['metadata'].name });
    expect(await list('podchaos', 'chaos-mesh.org/workflow=serial-real')).toEqual([]);
    const nodes = await kit.kubectl(['get', 'workflownode', '-n', kit.namespace]);
    expect(nodes.split('\n')[0]).toMatch(/^NAME\s+AGE$/);
    expect(nodes).toMatch(/^the-entry-[a-z0-9]{5}\s/m);
    expect(nodes).toMatch(/^kill-[a-z0-9]{5}\s/m);
    expect(nodes).toMatch(/^pause-[a-z0-9]{5}\s/m);
    expect(nodes).toMatch(/^hello-[a-z0-9]{5}\s/m);
  }, 90_000);

  it("Task templates for real: the container's exit code and output (read from pods/log) select the branch", async () => {
    // Chaos Mesh's custom-task.yaml, with branches this kit can run: the first task prints
    // branch-b as the example's does; the second fails.
    const manifest = `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: task-real}
spec:
  entry: the-entry
  templates:
    - {name: the-entry, templateType: Serial, children: [print, fail]}
    - name: print
      templateType: Task
      task: {container: {name: main-contaienr, image: busybox, command: [echo, branch-b]}}
      conditionalBranches:
        - {target: branch-a, expression: 'exitCode == 0 && stdout == "branch-a"'}
        - {target: branch-b, expression: 'exitCode == 0 && stdout == "branch-b"'}
        - {target: on-failed, expression: 'exitCode != 0'}
    - name: fail
      templateType: Task
      task: {container: {name: main, image: busybox, command: [sh, -c, 'echo oops; exit 3']}}
      conditionalBranches:
        - {target: branch-a, expression: 'exitCode == 0'}
        - {target: on-failed, expression: 'exitCode == 3 && stdout == "oops"'}
    - {name: branch-a, templateType: Suspend, deadline: 1s}
    - name: branch-b
      templateType: HelloWorldChaos
      deadline: 2s
      helloworldChaos: {mode: one, selector: {labelSelectors: {"app.kubernetes.io/component": tikv}}}
    - {name: on-failed, templateType: Suspend, deadline: 1s}
`;
    await kit.kubectl(['apply', '-n', kit.namespace, '-f', '-'], manifest);
    const nodeStatus = async (template: string) => {
      const nodes = await list('workflownodes', 'chaos-mesh.org/workflow=task-real');
      return nodes.find(n => n['spec'].templateName === template)?.['status'] as Obj | undefined;
    };
    await eventually(
      async () => {
        const wf = await kit.kubectl(['get', 'workflow', 'task-real', '-n', kit.namespace, '-o', 'json']);
        return (JSON.parse(wf) as Obj)['status']?.conditions?.some(
          (c: Obj) => c['type'] === 'Accomplished' && c['status'] === 'True',
        );
      },
      { what: 'workflow accomplished', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect((await nodeStatus('print'))!['conditionalBranchesStatus']).toEqual({
      branches: [
        { target: 'branch-a', evaluationResult: 'False' },
        { target: 'branch-b', evaluationResult: 'True' },
        { target: 'on-failed', evaluationResult: 'False' },
      ],
      context: ['{"exitCode":0,"stdout":"branch-b"}'],
    });
    expect((await nodeStatus('fail'))!['conditionalBranchesStatus']).toEqual({
      branches: [
        { target: 'branch-a', evaluationResult: 'False' },
        { target: 'on-failed', evaluationResult: 'True' },
      ],
      context: ['{"exitCode":3,"stdout":"oops"}'],
    });
    // Each chosen branch ran, the others never did.
    expect(await nodeStatus('branch-b')).toBeDefined();
    expect(await nodeStatus('on-failed')).toBeDefined();
    expect(await nodeStatus('branch-a')).toBeUndefined();
    // The pods' logs, through kubectl as a user reads them.
    const pods = (await kit.kube.request<{ items: Obj[] }>('GET', `/api/v1/namespaces/${kit.namespace}/pods`))
      .items;
    const taskPod = pods.find(p => (p['metadata'].name as string).startsWith('print-'));
    expect(taskPod).toBeDefined();
    expect(await kit.kubectl(['logs', '-n', kit.namespace, taskPod!['metadata'].name])).toBe('branch-b\n');
  }, 120_000);
});
