// SPDX-License-Identifier: Apache-2.0
// Workflow against the kube-emulator and the engine on one manual clock: Serial and Parallel
// (a plugin kind among them), node objects and status as Chaos Mesh writes them, a failing
// StatusCheck aborting the workflow, Task branches, Chaos Mesh's own example manifests, and
// bad specs refused with the field named.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import { startPlane, taskLogs, type Plane } from './support/plane.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'chaos-mesh');
const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

type Obj = Record<string, any>;
let plane: Plane | undefined;
let server: Server;
let serverUrl = '';
let answer = 500;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.statusCode = answer;
    res.end('ok');
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
});
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
});

const settle = (ms = 300) => new Promise(resolve => setTimeout(resolve, ms));
const nodes = (p: Plane, workflow: string) =>
  p.list<Obj>('workflownodes', { 'chaos-mesh.org/workflow': workflow });
const nodeOf = async (p: Plane, workflow: string, template: string) =>
  (await nodes(p, workflow)).find(n => n['spec'].templateName === template);
const condition = (obj: Obj | undefined, type: string) =>
  (obj?.['status']?.conditions ?? []).find((c: Obj) => c['type'] === type)?.status;
const workflowDone = async (p: Plane, name: string) =>
  condition(await p.get<Obj>('workflows', name), 'Accomplished') === 'True';
const wait = <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string) =>
  eventually<T>(probe, { what, intervalMs: 20, timeoutMs: 10_000 });
const workflow = (name: string, entry: string, templates: Obj[]) => ({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'Workflow',
  metadata: { name },
  spec: { entry, templates },
});
const selector = { labelSelectors: { app: 'web' } };

describe('Workflow', () => {
  it('Serial[PodChaos pod-kill, Suspend 10s, HelloWorldChaos]: in order, each chaos object created then deleted', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create(
      workflow('serial', 'the-entry', [
        { name: 'the-entry', templateType: 'Serial', deadline: '5m', children: ['kill', 'pause', 'hello'] },
        {
          name: 'kill',
          templateType: 'PodChaos',
          deadline: '5s',
          podChaos: { action: 'pod-kill', mode: 'one', selector },
        },
        { name: 'pause', templateType: 'Suspend', deadline: '10s' },
        {
          name: 'hello',
          templateType: 'HelloWorldChaos',
          deadline: '5s',
          helloworldChaos: { mode: 'one', selector },
        },
      ]),
    );
    const kill = await wait(async () => {
      const node = await nodeOf(p, 'serial', 'kill');
      return node?.['status']?.chaosResource && node;
    }, 'the kill node and its PodChaos');
    const wf = (await p.get<Obj>('workflows', 'serial'))!;
    expect(wf['status'].entryNode).toMatch(/^the-entry-[a-z0-9]{5}$/);
    expect(condition(wf, 'Scheduled')).toBe('True');
    expect(kill['metadata'].labels).toEqual({
      'chaos-mesh.org/controlled-by': wf['status'].entryNode,
      'chaos-mesh.org/workflow': 'serial',
    });
    expect(kill['spec']).toEqual(
      expect.objectContaining({ templateName: 'kill', workflowName: 'serial', type: 'PodChaos' }),
    );
    expect(Date.parse(kill['spec'].deadline) - Date.parse(kill['spec'].startTime)).toBe(5_000);
    const cr = kill['status'].chaosResource;
    expect(cr).toEqual({
      apiGroup: 'chaos-mesh.org',
      kind: 'PodChaos',
      name: expect.stringMatching(/^kill-[a-z0-9]{5}-[a-z0-9]{5}$/),
    });
    expect(condition(kill, 'ChaosInjected')).toBe('True');
    await wait(() => p.calls.some(c => c.name === cr.name && c.op === 'apply'), 'pod-kill applied');
    expect(await nodeOf(p, 'serial', 'pause')).toBeUndefined();
    p.clock.advance(5_000);
    await wait(
      async () => (await p.get('podchaos', cr.name)) === undefined,
      'PodChaos deleted at its deadline',
    );
    const pause = (await wait(() => nodeOf(p, 'serial', 'pause'), 'the Suspend node'))!;
    expect(condition(await nodeOf(p, 'serial', 'kill'), 'DeadlineExceed')).toBe('True');
    await settle();
    expect(await nodeOf(p, 'serial', 'hello')).toBeUndefined();
    p.clock.advance(10_000);
    const hello = await wait(async () => {
      const node = await nodeOf(p, 'serial', 'hello');
      return node?.['status']?.chaosResource && node;
    }, 'the hello node after the Suspend');
    expect(condition(await nodeOf(p, 'serial', 'pause'), 'DeadlineExceed')).toBe('True');
    expect(Date.parse(hello['spec'].startTime)).toBeGreaterThanOrEqual(
      Date.parse(pause['spec'].startTime) + 10_000,
    );
    await wait(
      () => p.calls.some(c => c.name === hello['status'].chaosResource.name && c.op === 'apply'),
      'hello applied',
    );
    p.clock.advance(5_000);
    await wait(() => workflowDone(p, 'serial'), 'workflow accomplished');
    await wait(
      async () => (await p.list('helloworldchaos')).length === 0 && (await p.list('podchaos')).length === 0,
      'all chaos gone',
    );
    const applied = p.calls.filter(c => c.op === 'apply').map(c => c.kind);
    expect(applied).toEqual(['PodChaos', 'HelloWorldChaos']);
    const events = (await p.events('serial')).map(e => e.reason);
    expect(events).toEqual(expect.arrayContaining(['EntryCreated', 'WorkflowAccomplished']));
    const entry = (await p.get<Obj>('workflownodes', wf['status'].entryNode))!;
    expect(condition(entry, 'Accomplished')).toBe('True');
    expect(entry['status'].finishedChildren).toHaveLength(3);
  });

  it('Parallel of NetworkChaos and a plugin kind (SignalChaos) runs both at once', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create(
      workflow('parallel', 'both', [
        { name: 'both', templateType: 'Parallel', children: ['delay', 'signal'] },
        {
          name: 'delay',
          templateType: 'NetworkChaos',
          deadline: '30s',
          networkChaos: { action: 'delay', mode: 'all', selector, delay: { latency: '90ms' } },
        },
        {
          name: 'signal',
          templateType: 'SignalChaos',
          deadline: '10s',
          signalChaos: { mode: 'one', signal: 'SIGUSR1', selector },
        },
      ]),
    );
    await wait(
      async () => (await p.list('networkchaos')).length === 1 && (await p.list('signalchaos')).length === 1,
      'both created',
    );
    await wait(
      () =>
        ['NetworkChaos', 'SignalChaos'].every(kind => p.calls.some(c => c.kind === kind && c.op === 'apply')),
      'both applied',
    );
    p.clock.advance(10_000);
    await wait(async () => (await p.list('signalchaos')).length === 0, 'signal done at 10s');
    expect(await p.list('networkchaos')).toHaveLength(1);
    p.clock.advance(20_000);
    await wait(() => workflowDone(p, 'parallel'), 'workflow accomplished');
    await wait(async () => (await p.list('networkchaos')).length === 0, 'delay recovered and gone');
    expect(p.calls.filter(c => c.kind === 'NetworkChaos').map(c => c.op)).toEqual(['apply', 'recover']);
  });

  it('a failing StatusCheck with abortWithStatusCheck recovers the running chaos and aborts the workflow', async () => {
    answer = 500;
    plane = await startPlane();
    const p = plane;
    await p.create(
      workflow('guarded', 'the-entry', [
        { name: 'the-entry', templateType: 'Parallel', children: ['check', 'delay'] },
        {
          name: 'check',
          templateType: 'StatusCheck',
          deadline: '5m',
          abortWithStatusCheck: true,
          statusCheck: {
            mode: 'Continuous',
            type: 'HTTP',
            intervalSeconds: 1,
            failureThreshold: 2,
            http: { url: serverUrl, criteria: { statusCode: '200' } },
          },
        },
        {
          name: 'delay',
          templateType: 'NetworkChaos',
          deadline: '5m',
          networkChaos: { action: 'delay', mode: 'all', selector, delay: { latency: '90ms' } },
        },
      ]),
    );
    await wait(() => p.calls.some(c => c.kind === 'NetworkChaos' && c.op === 'apply'), 'delay injected');
    const check = await wait(async () => (await p.list<Obj>('statuschecks'))[0], 'status check created');
    expect(check['metadata'].labels['chaos-mesh.org/workflow']).toBe('guarded');
    for (let i = 0; i < 3; i += 1) {
      p.clock.advance(1_000);
      await settle(200);
    }
    await wait(
      async () =>
        (await p.get<Obj>('workflows', 'guarded'))?.['metadata'].annotations?.[
          'workflow.chaos-mesh.org/abort'
        ] === 'true',
      'abort annotation',
    );
    await wait(() => workflowDone(p, 'guarded'), 'workflow ended');
    await wait(() => p.calls.some(c => c.kind === 'NetworkChaos' && c.op === 'recover'), 'delay recovered');
    await wait(async () => (await p.list('networkchaos')).length === 0, 'delay gone');
    const wf = (await p.get<Obj>('workflows', 'guarded'))!;
    expect(condition(wf, 'Aborted')).toBe('True');
    const checkNode = (await nodeOf(p, 'guarded', 'check'))!;
    expect(checkNode['status'].conditions).toEqual(
      expect.arrayContaining([
        { type: 'Aborted', status: 'True', reason: 'StatusCheckNotExceedSuccessThreshold' },
        { type: 'Accomplished', status: 'True', reason: 'StatusCheckCompleted' },
      ]),
    );
    const delayNode = (await nodeOf(p, 'guarded', 'delay'))!;
    expect(delayNode['status'].conditions).toEqual(
      expect.arrayContaining([{ type: 'Aborted', status: 'True', reason: 'ParentNodeAborted' }]),
    );
  });

  it("Chaos Mesh's custom-task.yaml: the task's exit code and output select the branch", async () => {
    plane = await startPlane();
    const p = plane;
    await p.apply(fixture('workflow-custom-task.yaml'));
    const pod = await wait(
      async () => (await p.kube.request<{ items: Obj[] }>('GET', '/api/v1/namespaces/default/pods')).items[0],
      'task pod',
    );
    expect(pod['spec'].containers[0].command).toEqual(['echo', 'branch-b']);
    expect(pod['spec'].restartPolicy).toBe('Never');
    taskLogs.set(`default/${pod['metadata'].name}`, 'branch-b\n');
    await p.kube.request('PUT', `/api/v1/namespaces/default/pods/${pod['metadata'].name}/status`, {
      body: {
        ...pod,
        status: {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'main-contaienr', state: { terminated: { exitCode: 0 } } }],
        },
      },
    });
    const entry = await wait(async () => {
      const node = await nodeOf(p, 'try-workflow-custom-task', 'the-entry');
      const first = node?.['status']?.conditionalBranchesStatus?.branches?.[0];
      return first !== undefined && first.evaluationResult !== 'Unknown' && node;
    }, 'branches evaluated');
    if (!entry) throw new Error('unreachable');
    expect(entry['status'].conditionalBranchesStatus).toEqual({
      branches: [
        { target: 'workflow-stress-chaos', evaluationResult: 'False' },
        { target: 'workflow-network-chaos', evaluationResult: 'True' },
        { target: 'on-failed', evaluationResult: 'False' },
      ],
      context: ['{"exitCode":0,"stdout":"branch-b"}'],
    });
    await wait(async () => (await p.list('networkchaos')).length === 1, 'the network branch runs');
    await wait(() => p.calls.some(c => c.kind === 'NetworkChaos' && c.op === 'apply'), 'the delay applied');
    p.clock.advance(20_000);
    await wait(() => workflowDone(p, 'try-workflow-custom-task'), 'workflow accomplished');
    expect(await nodeOf(p, 'try-workflow-custom-task', 'on-failed')).toBeUndefined();
    expect(await p.list('stresschaos')).toEqual([]);
  });

  it("Chaos Mesh's serial.yaml and parallel.yaml apply unchanged and run as documented", async () => {
    plane = await startPlane();
    const p = plane;
    await p.apply(fixture('workflow-serial.yaml'));
    await p.apply(fixture('workflow-parallel.yaml'));
    // parallel: the three children at once; the Schedule node runs a Schedule of pod-kills every 2s.
    await wait(
      async () =>
        (await p.list('stresschaos', { 'chaos-mesh.org/workflow': 'try-workflow-parallel' })).length === 1 &&
        (await p.list('networkchaos', { 'chaos-mesh.org/workflow': 'try-workflow-parallel' })).length === 1 &&
        (await p.list('schedules', { 'chaos-mesh.org/workflow': 'try-workflow-parallel' })).length === 1,
      'parallel children',
    );
    const schedule = (await p.list<Obj>('schedules'))[0]!;
    expect(schedule['spec']).toEqual(
      expect.objectContaining({ schedule: '@every 2s', concurrencyPolicy: 'Allow', type: 'PodChaos' }),
    );
    // serial: stress first, alone.
    expect(await p.list('stresschaos', { 'chaos-mesh.org/workflow': 'try-workflow-serial' })).toHaveLength(1);
    expect(await p.list('networkchaos', { 'chaos-mesh.org/workflow': 'try-workflow-serial' })).toHaveLength(
      0,
    );
    // Through the serial's 20 + 10 + 20 + 5 + 40 seconds, two seconds at a time for the schedules.
    for (let t = 0; t < 100; t += 2) {
      p.clock.advance(2_000);
      await settle(100);
    }
    await wait(() => workflowDone(p, 'try-workflow-serial'), 'serial accomplished');
    await wait(() => workflowDone(p, 'try-workflow-parallel'), 'parallel accomplished');
    await wait(async () => (await p.list('schedules')).length === 0, 'schedules deleted with their nodes');
    const order = (await nodes(p, 'try-workflow-serial'))
      .filter(n => n['spec'].type !== 'Serial')
      .sort((a, b) => Date.parse(a['spec'].startTime) - Date.parse(b['spec'].startTime))
      .map(n => n['spec'].templateName);
    expect(order).toEqual([
      'workflow-stress-chaos',
      'prefix-suspending',
      'workflow-network-chaos',
      'suffix-suspending',
      'workflow-pod-chaos',
    ]);
    // The schedules of both workflows made pod-kills every 2s during their 40s (a loaded machine
    // may merge ticks: a missed tick is dropped, as with Chaos Mesh).
    expect(p.calls.filter(c => c.kind === 'PodChaos' && c.op === 'apply').length).toBeGreaterThanOrEqual(5);
  });

  it("Chaos Mesh's status-check.yaml applies unchanged; its check fails (no network here) and the workflow ends at its deadline", async () => {
    plane = await startPlane();
    const p = plane;
    await p.apply(fixture('workflow-status-check.yaml'));
    const check = await wait(async () => (await p.list<Obj>('statuschecks'))[0], 'status check');
    // The CRD's defaults apply, as with Chaos Mesh.
    expect(check['spec']).toEqual(
      expect.objectContaining({
        intervalSeconds: 10,
        timeoutSeconds: 1,
        failureThreshold: 3,
        successThreshold: 1,
        recordsHistoryLimit: 100,
      }),
    );
    for (let i = 0; i < 3; i += 1) {
      p.clock.advance(10_000);
      await settle(300);
    }
    await wait(async () => {
      const current = await p.get<Obj>('statuschecks', check['metadata'].name);
      return current === undefined || condition(current, 'FailureThresholdExceed') === 'True';
    }, 'three failures');
    await wait(() => workflowDone(p, 'try-workflow-status-check'), 'workflow ended');
  });

  it('refuses bad workflows with the field named', async () => {
    plane = await startPlane();
    const p = plane;
    const refused = async (name: string, templates: Obj[], entry = 'a') => {
      await p.create(workflow(name, entry, templates));
      return wait(
        async () => (await p.events(name)).find(e => e.reason === 'Failed')?.message,
        `${name} refused`,
      );
    };
    // What CEL cannot say (a cycle: no recursion), the operator says in an Event and never runs.
    expect(
      await refused('cycle', [
        { name: 'a', templateType: 'Serial', children: ['b'] },
        { name: 'b', templateType: 'Parallel', children: ['a'] },
      ]),
    ).toBe('invalid spec: spec.templates[1].children[0]: a cycle of templates: a → b → a');
    // What the CRD says at apply (its schema and CEL rules), with the field named.
    const atApply = (name: string, templates: Obj[], entry = 'a') =>
      p.create(workflow(name, entry, templates)).then(
        () => '',
        (error: Error) => error.message,
      );
    expect(await atApply('bad-type', [{ name: 'a', templateType: 'Teapot' }])).toMatch(
      /spec\.templates\[0\]\.templateType.*Unsupported value: "Teapot"/,
    );
    expect(
      await atApply('unknown-child', [{ name: 'a', templateType: 'Serial', children: ['nope'] }]),
    ).toMatch(
      /spec\.templates: Invalid value: "object": can not find a template with name nope \(children of a\)/,
    );
    expect(await atApply('no-entry', [{ name: 'a', templateType: 'Suspend', deadline: '1s' }], 'b')).toMatch(
      /spec\.entry: Invalid value: "object": can not find a template with name b/,
    );
    expect(await atApply('no-chaos', [{ name: 'a', templateType: 'PodChaos', deadline: '1s' }])).toMatch(
      /spec\.templates\[0\]\.podChaos: Required value: the value of chaos PodChaos is required/,
    );
    expect(await p.list('workflownodes')).toEqual([]);
  });
});
