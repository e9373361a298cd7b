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
import podChaos from '@chaosplane/experiment-podchaos';
import stressChaos from '@chaosplane/experiment-stresschaos';
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

/** The manifest of a case, as YAML kubectl reads. */
function manifest(kind: string, name: string, spec: Case[2]): string {
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
