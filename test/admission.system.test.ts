// SPDX-License-Identifier: Apache-2.0
// Bad specs refused at `kubectl apply`, as Chaos Mesh's webhooks refuse them, with no webhook
// server: the bundled CRDs (deploy/crds, generated from the plugins' schemas) carry the rules as
// structural schemas and CEL `x-kubernetes-validations`, which kube-emulator enforces as a real
// API server does. Each of the manifests below is refused by the real kubectl naming the field
// and the reason, and the engine's own validation names the same field. Chaos Mesh's examples and
// the repository's pass.
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { compileErrors } from '@chaosplane/cel';
import { structuralViolations, validateChaosObject, type JsonSchema } from '@chaosplane/engine';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import helloWorld from '@chaosplane/experiment-helloworld';
import networkChaos from '@chaosplane/experiment-networkchaos';
import podChaos from '@chaosplane/experiment-podchaos';
import stressChaos from '@chaosplane/experiment-stresschaos';
import { createChaosKindTable, createOrchestrationValidator } from '@chaosplane/orchestration';
import type { ChaosKind, ChaosObject } from '@chaosplane/sdk';

const run = promisify(execFile);
const repo = path.resolve(new URL('.', import.meta.url).pathname, '..');
const kinds: Record<string, ChaosKind> = {
  HelloWorldChaos: helloWorld.kind,
  PodChaos: podChaos.kind,
  StressChaos: stressChaos.kind,
};

type Case = [
  what: string,
  kind: 'HelloWorldChaos' | 'PodChaos' | 'StressChaos',
  spec: Record<string, unknown> | string,
  field: string,
  reason: string,
];

const selector = { selector: { namespaces: ['busybox'] } };
const hello = (spec: Record<string, unknown>) => ({ ...selector, mode: 'all', ...spec });
const pod = (spec: Record<string, unknown>) => ({ ...selector, mode: 'all', action: 'pod-failure', ...spec });
const stress = (spec: Record<string, unknown>) => ({ ...selector, mode: 'all', ...spec });
const cpu = (stressor: Record<string, unknown>) =>
  stress({ stressors: { cpu: { workers: 1, ...stressor } } });
const memory = (stressor: Record<string, unknown>) =>
  stress({ stressors: { memory: { workers: 1, ...stressor } } });
/** A StressChaos refusing a memory size, with the engine's message for it. */
const size = (value: string, reason: string): Case => [
  `memory size ${JSON.stringify(value)}`,
  'StressChaos',
  memory({ size: value }),
  'spec.stressors.memory.size',
  reason,
];

/** Each bad spec, the field kubectl's error names, and the reason text it carries. */
const CASES: Case[] = [
  ['no mode', 'HelloWorldChaos', { ...selector }, 'spec.mode', 'Required value'],
  [
    'an unknown mode',
    'HelloWorldChaos',
    hello({ mode: 'sometimes' }),
    'spec.mode',
    'Unsupported value: "sometimes"',
  ],
  [
    'fixed without a value',
    'HelloWorldChaos',
    hello({ mode: 'fixed' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "": invalid syntax',
  ],
  [
    'fixed 0',
    'HelloWorldChaos',
    hello({ mode: 'fixed', value: '0' }),
    'spec.value',
    'value must be greater than 0 with mode:fixed',
  ],
  [
    'fixed -3',
    'HelloWorldChaos',
    hello({ mode: 'fixed', value: '-3' }),
    'spec.value',
    'value must be greater than 0 with mode:fixed',
  ],
  [
    'fixed abc',
    'HelloWorldChaos',
    hello({ mode: 'fixed', value: 'abc' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "abc": invalid syntax',
  ],
  [
    'fixed 1.5',
    'HelloWorldChaos',
    hello({ mode: 'fixed', value: '1.5' }),
    'spec.value',
    'parse value field error',
  ],
  [
    'fixed-percent 0',
    'HelloWorldChaos',
    hello({ mode: 'fixed-percent', value: '0' }),
    'spec.value',
    'value of 0 is invalid, Must be (0,100] with mode:fixed-percent',
  ],
  [
    'fixed-percent 150',
    'HelloWorldChaos',
    hello({ mode: 'fixed-percent', value: '150' }),
    'spec.value',
    'value of 150 is invalid, Must be (0,100] with mode:fixed-percent',
  ],
  [
    'fixed-percent abc',
    'HelloWorldChaos',
    hello({ mode: 'fixed-percent', value: 'abc' }),
    'spec.value',
    'parse value field error',
  ],
  [
    'random-max-percent 101',
    'HelloWorldChaos',
    hello({ mode: 'random-max-percent', value: '101' }),
    'spec.value',
    'Must be (0,100] with mode:random-max-percent',
  ],
  [
    'random-max-percent empty',
    'HelloWorldChaos',
    hello({ mode: 'random-max-percent', value: '' }),
    'spec.value',
    'parse value field error',
  ],
  [
    'value as a number',
    'HelloWorldChaos',
    hello({ mode: 'fixed', value: 5 }),
    'spec.value',
    'must be of type string',
  ],
  [
    'duration garbage',
    'HelloWorldChaos',
    hello({ duration: 'garbage' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'duration -5m',
    'HelloWorldChaos',
    hello({ duration: '-5m' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'duration without a unit',
    'HelloWorldChaos',
    hello({ duration: '10' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'duration with an unknown unit',
    'HelloWorldChaos',
    hello({ duration: '1x' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'duration with a space',
    'HelloWorldChaos',
    hello({ duration: '5 m' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'duration as a number',
    'HelloWorldChaos',
    hello({ duration: 10 }),
    'spec.duration',
    'must be of type string',
  ],
  ['no selector', 'HelloWorldChaos', { mode: 'all' }, 'spec.selector', 'Required value'],
  [
    'namespaces as a string',
    'HelloWorldChaos',
    hello({ selector: { namespaces: 'busybox' } }),
    'spec.selector.namespaces',
    'must be of type array',
  ],
  [
    'a label value as a number',
    'HelloWorldChaos',
    hello({ selector: { labelSelectors: { app: 5 } } }),
    'spec.selector.labelSelectors.app',
    'must be of type string',
  ],
  [
    'a bad label key',
    'HelloWorldChaos',
    hello({ selector: { labelSelectors: { 'bad key!': 'x' } } }),
    'spec.selector.labelSelectors',
    '"bad key!" is not a valid label key',
  ],
  [
    'a label key with an empty prefix',
    'HelloWorldChaos',
    hello({ selector: { labelSelectors: { '/app': 'x' } } }),
    'spec.selector.labelSelectors',
    'is not a valid label key',
  ],
  [
    'a label key too long',
    'HelloWorldChaos',
    hello({ selector: { labelSelectors: { ['k'.repeat(64)]: 'x' } } }),
    'spec.selector.labelSelectors',
    'is not a valid label key',
  ],
  [
    'a bad label value',
    'HelloWorldChaos',
    hello({ selector: { labelSelectors: { app: 'not ok' } } }),
    'spec.selector.labelSelectors',
    '"not ok" is not a valid label value',
  ],
  [
    'a bad node selector key',
    'HelloWorldChaos',
    hello({ selector: { nodeSelectors: { '-zone': 'a' } } }),
    'spec.selector.nodeSelectors',
    'is not a valid label key',
  ],
  [
    'an unknown pod phase',
    'HelloWorldChaos',
    hello({ selector: { podPhaseSelectors: ['Sleeping'] } }),
    'spec.selector.podPhaseSelectors[0]',
    'Unsupported value: "Sleeping"',
  ],
  [
    'an unknown negated phase',
    'HelloWorldChaos',
    hello({ selector: { podPhaseSelectors: ['Running', '!Dead'] } }),
    'spec.selector.podPhaseSelectors[1]',
    'Unsupported value: "!Dead"',
  ],
  [
    'In without values',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'app', operator: 'In' }] } }),
    'spec.selector.expressionSelectors[0].values',
    "Required value: must be specified when `operator` is 'In' or 'NotIn'",
  ],
  [
    'In with an empty list',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'app', operator: 'In', values: [] }] } }),
    'spec.selector.expressionSelectors[0].values',
    'Required value',
  ],
  [
    'NotIn without values',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'app', operator: 'NotIn' }] } }),
    'spec.selector.expressionSelectors[0].values',
    'Required value',
  ],
  [
    'Exists with values',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'app', operator: 'Exists', values: ['a'] }] } }),
    'spec.selector.expressionSelectors[0].values',
    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
  ],
  [
    'an unknown operator',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'app', operator: 'Maybe' }] } }),
    'spec.selector.expressionSelectors[0].operator',
    'Unsupported value: "Maybe"',
  ],
  [
    'an expression with a bad key',
    'HelloWorldChaos',
    hello({ selector: { expressionSelectors: [{ key: 'a b', operator: 'Exists' }] } }),
    'spec.selector.expressionSelectors[0].key',
    '"a b" is not a valid label key',
  ],
  [
    'pods as a string',
    'HelloWorldChaos',
    hello({ selector: { pods: { busybox: 'busybox-0' } } }),
    'spec.selector.pods.busybox',
    'must be of type array',
  ],
  [
    'containerNames as a string',
    'HelloWorldChaos',
    hello({ containerNames: 'main' }),
    'spec.containerNames',
    'must be of type array',
  ],
  ['an unknown field', 'HelloWorldChaos', hello({ colour: 'red' }), 'spec.colour', 'unknown field'],
  ['no spec at all', 'HelloWorldChaos', 'none', 'spec', 'Required value'],
  ['a spec that is a string', 'HelloWorldChaos', 'text', 'spec', 'must be of type object'],
  ['no action', 'PodChaos', { ...selector, mode: 'all' }, 'spec.action', 'Required value'],
  [
    'an unknown action',
    'PodChaos',
    pod({ action: 'pod-explode' }),
    'spec.action',
    'Unsupported value: "pod-explode"',
  ],
  [
    'container-kill without containerNames',
    'PodChaos',
    pod({ action: 'container-kill' }),
    'spec.containerNames',
    'the name of container is required on container-kill action',
  ],
  [
    'container-kill with an empty list',
    'PodChaos',
    pod({ action: 'container-kill', containerNames: [] }),
    'spec.containerNames',
    'the name of container is required on container-kill action',
  ],
  [
    'pod-kill with containerNames',
    'PodChaos',
    pod({ action: 'pod-kill', containerNames: ['main'] }),
    'spec.containerNames',
    'Forbidden: pod-kill acts on whole pods and would ignore containerNames',
  ],
  [
    'pod-failure with containerNames',
    'PodChaos',
    pod({ containerNames: ['main'] }),
    'spec.containerNames',
    'Forbidden: pod-failure acts on whole pods',
  ],
  [
    'a negative grace period',
    'PodChaos',
    pod({ action: 'pod-kill', gracePeriod: -1 }),
    'spec.gracePeriod',
    'should be greater than or equal to 0',
  ],
  [
    'a grace period in words',
    'PodChaos',
    pod({ action: 'pod-kill', gracePeriod: 'ten' }),
    'spec.gracePeriod',
    'must be of type integer',
  ],
  [
    'a fractional grace period',
    'PodChaos',
    pod({ action: 'pod-kill', gracePeriod: 1.5 }),
    'spec.gracePeriod',
    'must be of type integer',
  ],
  [
    'a duration of forever',
    'PodChaos',
    pod({ duration: 'forever' }),
    'spec.duration',
    'parse duration field error',
  ],
  [
    'fixed 0 on PodChaos',
    'PodChaos',
    pod({ mode: 'fixed', value: '0' }),
    'spec.value',
    'value must be greater than 0 with mode:fixed',
  ],
  [
    'fixed-percent 101 on PodChaos',
    'PodChaos',
    pod({ mode: 'fixed-percent', value: '101' }),
    'spec.value',
    'Must be (0,100]',
  ],
  [
    'a pod phase typo on PodChaos',
    'PodChaos',
    pod({ selector: { podPhaseSelectors: ['running'] } }),
    'spec.selector.podPhaseSelectors[0]',
    'Unsupported value: "running"',
  ],
  [
    'a bad label key on PodChaos',
    'PodChaos',
    pod({ selector: { labelSelectors: { 'app.kubernetes.io/': 'x' } } }),
    'spec.selector.labelSelectors',
    'is not a valid label key',
  ],
  [
    'In without values on PodChaos',
    'PodChaos',
    pod({ selector: { expressionSelectors: [{ key: 'tier', operator: 'NotIn', values: [] }] } }),
    'spec.selector.expressionSelectors[0].values',
    'Required value',
  ],
  [
    'a grace period on pod-failure as a string',
    'PodChaos',
    pod({ gracePeriod: '0' }),
    'spec.gracePeriod',
    'must be of type integer',
  ],
  ['no stressors', 'StressChaos', stress({}), 'spec', 'Invalid value: "object": missing stressors'],
  [
    'an empty stressngStressors',
    'StressChaos',
    stress({ stressngStressors: '' }),
    'spec',
    'missing stressors',
  ],
  ['an empty stressors', 'StressChaos', stress({ stressors: {} }), 'spec.stressors', 'missing stressors'],
  [
    'stressors and stressngStressors',
    'StressChaos',
    stress({ stressors: { cpu: { workers: 1 } }, stressngStressors: '--cpu 1' }),
    'spec.stressngStressors',
    'set either stressors or stressngStressors, not both',
  ],
  [
    '0 cpu workers',
    'StressChaos',
    cpu({ workers: 0 }),
    'spec.stressors.cpu.workers',
    'workers should always be positive',
  ],
  [
    'negative memory workers',
    'StressChaos',
    memory({ workers: -2, size: '1MB' }),
    'spec.stressors.memory.workers',
    'workers should always be positive',
  ],
  [
    'more workers than stress-ng runs',
    'StressChaos',
    cpu({ workers: 8193 }),
    'spec.stressors.cpu.workers',
    'should be less than or equal to 8192',
  ],
  [
    'a cpu load above 100',
    'StressChaos',
    cpu({ load: 101 }),
    'spec.stressors.cpu.load',
    'should be less than or equal to 100',
  ],
  [
    'a memory stressor without a size',
    'StressChaos',
    memory({}),
    'spec.stressors.memory.size',
    "Required value: Chaos Mesh's memStress allocates nothing without a size",
  ],
  size('', 'Required value'),
  size('101%', 'incorrect bytes format: illegal proportion'),
  size('12.5%', 'incorrect bytes format: strconv.Atoi: parsing "12.5": invalid syntax'),
  size('0%', 'a size of "0%" allocates nothing'),
  size('64Mi', "incorrect bytes format: invalid suffix: 'mi'"),
  size('1 TiBs', "incorrect bytes format: invalid suffix: 'TiBs'"),
  size('-1Kb', "incorrect bytes format: invalid size: '-1Kb'"),
  size('GB', "incorrect bytes format: invalid size: 'GB'"),
  size('1.5.5GB', 'incorrect bytes format: strconv.ParseFloat: parsing "1.5.5": invalid syntax'),
  size('0MB', 'a size of "0MB" allocates nothing'),
  size('0.5', 'a size of "0.5" allocates nothing'),
  size('1'.repeat(65), 'Too long: may not be more than 64'),
  [
    'an oomScoreAdj below -1000',
    'StressChaos',
    memory({ size: '1MB', oomScoreAdj: -1001 }),
    'spec.stressors.memory.oomScoreAdj',
    'should be greater than or equal to -1000',
  ],
  [
    'an unknown stressor',
    'StressChaos',
    stress({ stressors: { io: { workers: 1 } } }),
    'spec.stressors.io',
    'unknown field',
  ],
  [
    'remoteCluster on StressChaos',
    'StressChaos',
    stress({ stressors: { cpu: { workers: 1 } }, remoteCluster: 'east' }),
    'spec.remoteCluster',
    'remote clusters are not supported by Chaosplane: remove it',
  ],
  [
    'a StressChaos duration without a unit',
    'StressChaos',
    stress({ stressors: { cpu: { workers: 1 } }, duration: '30' }),
    'spec.duration',
    'parse duration field error',
  ],
];

/** A Schedule or Workflow spec refused at apply, the field kubectl names and the reason. */
type OrchestrationCase = [
  what: string,
  kind: 'Schedule' | 'Workflow',
  spec: Record<string, unknown>,
  field: string,
  reason: string,
];

const podKill = pod({ action: 'pod-kill' });
const every = (spec: Record<string, unknown>) => ({ schedule: '@every 5s', ...spec });
const flow = (templates: Record<string, unknown>[], entry = 'a') => ({ entry, templates });
const orchestration = createOrchestrationValidator(
  createChaosKindTable([helloWorld.kind, podChaos.kind, stressChaos.kind, networkChaos.kind]),
);

const ORCHESTRATION_CASES: OrchestrationCase[] = [
  [
    'a Schedule of PodChaos without podChaos',
    'Schedule',
    every({ type: 'PodChaos' }),
    'spec.podChaos',
    'Required value: the spec of PodChaos is required for type PodChaos',
  ],
  [
    'a Schedule of PodChaos with a stressChaos',
    'Schedule',
    every({
      type: 'PodChaos',
      podChaos: podKill,
      stressChaos: stress({ stressors: { cpu: { workers: 1 } } }),
    }),
    'spec.stressChaos',
    'Forbidden: type PodChaos does not use stressChaos: remove it',
  ],
  [
    'a Schedule of Workflow without workflow',
    'Schedule',
    every({ type: 'Workflow' }),
    'spec.workflow',
    'Required value: the workflow to create is required',
  ],
  [
    'a Schedule of a container-kill without containerNames',
    'Schedule',
    every({ type: 'PodChaos', podChaos: pod({ action: 'container-kill' }) }),
    'spec.podChaos.containerNames',
    'the name of container is required on container-kill action',
  ],
  [
    'a Schedule of a StressChaos without stressors',
    'Schedule',
    every({ type: 'StressChaos', stressChaos: stress({}) }),
    'spec.stressChaos',
    'missing stressors',
  ],
  [
    'a Workflow whose entry names no template',
    'Workflow',
    flow([{ name: 'b', templateType: 'Suspend', deadline: '1s' }]),
    'spec.entry',
    'can not find a template with name a',
  ],
  [
    'duplicate template names',
    'Workflow',
    flow([
      { name: 'a', templateType: 'Suspend', deadline: '1s' },
      { name: 'a', templateType: 'Suspend', deadline: '2s' },
    ]),
    'spec.templates',
    'Duplicate value: "object": template name must be unique, duplicated name: a',
  ],
  [
    'children naming no template',
    'Workflow',
    flow([{ name: 'a', templateType: 'Serial', children: ['nope'] }]),
    'spec.templates',
    'can not find a template with name nope (children of a)',
  ],
  [
    'a branch target naming no template',
    'Workflow',
    flow([
      {
        name: 'a',
        templateType: 'Task',
        task: { container: { name: 'c', image: 'busybox' } },
        conditionalBranches: [{ target: 'gone' }],
      },
    ]),
    'spec.templates',
    'can not find a template with name gone (conditionalBranches of a)',
  ],
  [
    'a Suspend without deadline',
    'Workflow',
    flow([{ name: 'a', templateType: 'Suspend' }]),
    'spec.templates[0].deadline',
    'Required value: deadline in template with type Suspend could not be empty',
  ],
  [
    'a PodChaos template without podChaos',
    'Workflow',
    flow([{ name: 'a', templateType: 'PodChaos', deadline: '1s' }]),
    'spec.templates[0].podChaos',
    'Required value: the value of chaos PodChaos is required',
  ],
  [
    'a PodChaos template with a helloworldChaos',
    'Workflow',
    flow([{ name: 'a', templateType: 'PodChaos', podChaos: podKill, helloworldChaos: hello({}) }]),
    'spec.templates[0].helloworldChaos',
    'Forbidden: templateType PodChaos does not use helloworldChaos: remove it',
  ],
  [
    'a template of pod-kill with containerNames',
    'Workflow',
    flow([
      { name: 'a', templateType: 'PodChaos', podChaos: pod({ action: 'pod-kill', containerNames: ['x'] }) },
    ]),
    'spec.templates[0].podChaos.containerNames',
    'pod-kill acts on whole pods',
  ],
  [
    'a Schedule template of StressChaos without stressChaos',
    'Workflow',
    flow([{ name: 'a', templateType: 'Schedule', schedule: every({ type: 'StressChaos' }) }]),
    'spec.templates[0].schedule.stressChaos',
    'Required value: the spec of StressChaos is required for type StressChaos',
  ],
  [
    'an unknown template type',
    'Workflow',
    flow([{ name: 'a', templateType: 'Teapot' }]),
    'spec.templates[0].templateType',
    'Unsupported value: "Teapot"',
  ],
  [
    'a Schedule at minute 61',
    'Schedule',
    every({ schedule: '61 * * * *', type: 'PodChaos', podChaos: podKill }),
    'spec.schedule',
    'parse schedule field error: "61 * * * *": the minute field must be 0-59',
  ],
  [
    'a Schedule on weekday 7',
    'Schedule',
    every({ schedule: 'TZ=UTC 0 9 * * 7', type: 'PodChaos', podChaos: podKill }),
    'spec.schedule',
    'the day of week field must be 0-6 or SUN-SAT',
  ],
  [
    'a Schedule with an unknown descriptor',
    'Schedule',
    every({ schedule: '@fortnightly', type: 'PodChaos', podChaos: podKill }),
    'spec.schedule',
    'expected 5 or 6 fields (seconds first), @yearly',
  ],
  [
    'a Schedule template at hour 24',
    'Workflow',
    flow([
      {
        name: 'a',
        templateType: 'Schedule',
        schedule: every({ schedule: '0 24 * * *', type: 'PodChaos', podChaos: podKill }),
      },
    ]),
    'spec.templates[0].schedule.schedule',
    'the hour field must be 0-23',
  ],
  [
    'a Schedule of an unknown type',
    'Schedule',
    every({ type: 'TeapotChaos' }),
    'spec.type',
    'Unsupported value: "TeapotChaos"',
  ],
];

/** The manifest of a case, as YAML kubectl reads. */
function manifest(kind: string, name: string, spec: Case[2] | OrchestrationCase[2]): string {
  const obj: Record<string, unknown> = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind,
    metadata: { name, namespace: 'busybox' },
  };
  if (spec !== 'none') obj['spec'] = spec === 'text' ? 'mode: all' : spec;
  return JSON.stringify(obj);
}

/** A Namespace manifest (applied as JSON: kubectl's typed `create namespace` sends protobuf). */
const namespace = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

let emulator: KubeEmulator;
const kubectl = async (args: string[], stdin?: string) => {
  const child = execFile('kubectl', ['--kubeconfig', emulator.kubeconfigPath, ...args]);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  child.stdin!.end(stdin ?? '');
  const code = await new Promise<number>(resolve => child.on('close', c => resolve(c ?? 1)));
  return { code, out };
};

beforeAll(async () => {
  emulator = await startKubeEmulator({});
  await kubectl(['apply', '-f', '-'], namespace('busybox'));
  for (const file of [
    'chaos-mesh.org_helloworldchaos.yaml',
    'chaos-mesh.org_podchaos.yaml',
    'chaos-mesh.org_stresschaos.yaml',
    'chaos-mesh.org_networkchaos.yaml',
    'chaos-mesh.org_schedules.yaml',
    'chaos-mesh.org_workflows.yaml',
  ])
    await run('kubectl', [
      '--kubeconfig',
      emulator.kubeconfigPath,
      'apply',
      '-f',
      path.join(repo, 'deploy/crds', file),
    ]);
}, 60_000);
afterAll(() => emulator?.stop());

describe('admission at kubectl apply (CRDs from deploy/crds on kube-emulator)', () => {
  it('has at least 50 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(50));

  it('ships CRDs whose schemas are structural and whose CEL rules compile', async () => {
    for (const file of [
      'chaos-mesh.org_helloworldchaos.yaml',
      'chaos-mesh.org_podchaos.yaml',
      'chaos-mesh.org_networkchaos.yaml',
      'chaos-mesh.org_stresschaos.yaml',
      'chaos-mesh.org_schedules.yaml',
      'chaos-mesh.org_workflows.yaml',
    ]) {
      const crd = parse(await readFile(path.join(repo, 'deploy/crds', file), 'utf8')) as {
        spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] };
      };
      const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
      expect({ file, structural: structuralViolations(schema), cel: compileErrors(schema) }).toEqual({
        file,
        structural: [],
        cel: [],
      });
    }
  });

  it.each(CASES.map((c, i) => [i, ...c] as const))(
    '#%i refuses %s',
    async (i, _what, kind, spec, field, reason) => {
      const { code, out } = await kubectl(['apply', '-f', '-'], manifest(kind, `bad-${i}`, spec));
      expect(code).not.toBe(0);
      // A field error (`spec.mode: Required value`), or strict decoding's `unknown field "spec.colour"`.
      expect(out.includes(`${field}: `) || out.includes(`"${field}"`)).toBe(true);
      expect(out).toContain(reason);
      // The engine, validating the same object, names the same field.
      if (typeof spec === 'object') {
        const violations = validateChaosObject(kinds[kind]!, { spec } as ChaosObject);
        expect(violations.map(v => v.field.replace(/\["([^"]+)"\]/g, '.$1'))).toContainEqual(
          expect.stringContaining(field.replace(/\[\d+\]$/, '')),
        );
      }
    },
  );

  it.each(ORCHESTRATION_CASES.map((c, i) => [i, ...c] as const))(
    'orchestration #%i refuses %s',
    async (i, _what, kind, spec, field, reason) => {
      const { code, out } = await kubectl(['apply', '-f', '-'], manifest(kind, `bad-orch-${i}`, spec));
      expect(code).not.toBe(0);
      expect(out).toContain(`${field}: `);
      expect(out).toContain(reason);
      // The operator, validating the same spec, names the same field.
      const violations = kind === 'Schedule' ? orchestration.schedule(spec) : orchestration.workflow(spec);
      expect(violations.map(v => v.field)).toContainEqual(expect.stringContaining(field));
    },
  );

  it('leaves a cycle of templates to the operator (CEL cannot recurse)', async () => {
    const spec = flow([
      { name: 'a', templateType: 'Serial', children: ['b'] },
      { name: 'b', templateType: 'Parallel', children: ['a'] },
    ]);
    expect(await kubectl(['apply', '-f', '-'], manifest('Workflow', 'cycle', spec))).toMatchObject({
      code: 0,
    });
    expect(orchestration.workflow(spec).map(v => v.field)).toEqual(['spec.templates[1].children[0]']);
  });

  it('refuses a change of the spec, as Chaos Mesh', async () => {
    expect(await kubectl(['apply', '-f', '-'], manifest('PodChaos', 'frozen', pod({})))).toMatchObject({
      code: 0,
    });
    const { code, out } = await kubectl(
      ['apply', '-f', '-'],
      manifest('PodChaos', 'frozen', pod({ mode: 'one' })),
    );
    expect(code).not.toBe(0);
    expect(out).toContain('spec: Invalid value: "object": Cannot update chaos spec');
  });

  it("accepts Chaos Mesh's own PodChaos and StressChaos examples and the repository's examples unchanged", async () => {
    const dirs = [
      path.join(repo, 'packages/experiment-podchaos/test/fixtures/chaos-mesh'),
      path.join(repo, 'packages/experiment-stresschaos/test/fixtures/chaos-mesh'),
      path.join(repo, 'examples'),
    ];
    let applied = 0;
    for (const dir of dirs) {
      for (const file of (await readdir(dir)).filter(
        f => /\.yaml$/.test(f) && !f.startsWith('networkchaos') && f !== 'busybox.yaml',
      )) {
        for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
          const obj = doc.toJS() as { metadata: { namespace?: string } };
          await kubectl(['apply', '-f', '-'], namespace(obj.metadata.namespace ?? 'default'));
          const { code, out } = await kubectl(['apply', '-f', '-'], JSON.stringify(obj));
          expect({ file, code, out }).toEqual({
            file,
            code: 0,
            out: expect.stringMatching(/created|configured/),
          });
          applied += 1;
        }
      }
    }
    expect(applied).toBeGreaterThanOrEqual(12);
  });
});
