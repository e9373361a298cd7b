// SPDX-License-Identifier: Apache-2.0
// The CEL rules of the generated Schedule and Workflow CRDs (what a real API server refuses at
// `kubectl apply`), evaluated with @chaosplane/cel as kube-emulator evaluates them, beside the
// operator's own validation of the same spec: both name the same field. Cycles are the
// operator's only (CEL cannot recurse). test/admission.system.test.ts applies some of these
// with the real kubectl.
import { describe, expect, it } from '@jest/globals';
import { compileErrors, validateRules } from '@chaosplane/cel';
import type { JsonSchema } from '@chaosplane/engine';
import { orchestrationCrds } from '../src/crd/orchestrationCrds.js';
import { createOrchestrationValidator } from '../src/validation/createValidator.js';
import { TABLE } from './support/kinds.js';

type Obj = Record<string, unknown>;
const crds = orchestrationCrds(TABLE);
const schemaOf = (kind: string) =>
  crds.find(c => c.spec.names.kind === kind)!.spec.versions[0]!.schema.openAPIV3Schema;
const validator = createOrchestrationValidator(TABLE);

/** `field: detail` of every failed CEL rule of `kind`'s CRD on `spec`. */
const refusedAtApply = (kind: string, spec: Obj) =>
  validateRules(schemaOf(kind), { apiVersion: 'chaos-mesh.org/v1alpha1', kind, metadata: {}, spec }).map(
    v => `${v.field}: ${v.detail}`,
  );

const podKill = { action: 'pod-kill', mode: 'one', selector: { namespaces: ['busybox'] } };
const schedule = (spec: Obj) => ({ schedule: '@every 5s', type: 'PodChaos', podChaos: podKill, ...spec });
const workflow = (templates: Obj[], entry = 'a') => ({ entry, templates });

/** Each bad spec, the field and the CRD's reason. */
const CASES: [what: string, kind: 'Schedule' | 'Workflow', spec: Obj, atApply: string][] = [
  [
    'a Schedule of NetworkChaos without networkChaos',
    'Schedule',
    { schedule: '@every 5s', type: 'NetworkChaos' },
    'spec.networkChaos: Required value: the spec of NetworkChaos is required for type NetworkChaos',
  ],
  [
    'a Schedule of PodChaos with a networkChaos too',
    'Schedule',
    schedule({ networkChaos: { action: 'partition', mode: 'one', selector: {} } }),
    'spec.networkChaos: Forbidden: type PodChaos does not use networkChaos: remove it',
  ],
  [
    'a Schedule of a plugin kind without its spec',
    'Schedule',
    { schedule: '@every 5s', type: 'SignalChaos' },
    'spec.signalChaos: Required value: the spec of SignalChaos is required for type SignalChaos',
  ],
  [
    'a Schedule of Workflow without workflow',
    'Schedule',
    { schedule: '@every 5s', type: 'Workflow' },
    'spec.workflow: Required value: the workflow to create is required',
  ],
  [
    'a Schedule of a bad PodChaos (container-kill without containerNames)',
    'Schedule',
    schedule({ podChaos: { ...podKill, action: 'container-kill' } }),
    'spec.podChaos.containerNames: Invalid value: "object": the name of container is required on container-kill action',
  ],
  [
    'a Schedule of a Workflow whose entry names no template',
    'Schedule',
    {
      schedule: '@every 5s',
      type: 'Workflow',
      workflow: workflow([{ name: 'b', templateType: 'Suspend', deadline: '1s' }]),
    },
    'spec.workflow.entry: Invalid value: "object": can not find a template with name a',
  ],
  [
    'an entry naming no template',
    'Workflow',
    workflow([{ name: 'b', templateType: 'Suspend', deadline: '1s' }]),
    'spec.entry: Invalid value: "object": can not find a template with name a',
  ],
  [
    'duplicate template names',
    'Workflow',
    workflow([
      { name: 'a', templateType: 'Suspend', deadline: '1s' },
      { name: 'a', templateType: 'Suspend', deadline: '2s' },
    ]),
    'spec.templates: Duplicate value: "object": template name must be unique, duplicated name: a',
  ],
  [
    'children naming no template',
    'Workflow',
    workflow([{ name: 'a', templateType: 'Serial', children: ['nope'] }]),
    'spec.templates: Invalid value: "object": can not find a template with name nope (children of a)',
  ],
  [
    'a branch target naming no template',
    'Workflow',
    workflow([
      {
        name: 'a',
        templateType: 'Task',
        task: { container: { name: 'c', image: 'busybox' } },
        conditionalBranches: [{ target: 'gone', expression: 'exitCode == 0' }],
      },
    ]),
    'spec.templates: Invalid value: "object": can not find a template with name gone (conditionalBranches of a)',
  ],
  [
    'a Suspend without deadline',
    'Workflow',
    workflow([{ name: 'a', templateType: 'Suspend' }]),
    'spec.templates[0].deadline: Required value: deadline in template with type Suspend could not be empty',
  ],
  [
    'a PodChaos template without podChaos',
    'Workflow',
    workflow([{ name: 'a', templateType: 'PodChaos', deadline: '1s' }]),
    'spec.templates[0].podChaos: Required value: the value of chaos PodChaos is required',
  ],
  [
    'a PodChaos template with a networkChaos',
    'Workflow',
    workflow([
      {
        name: 'a',
        templateType: 'PodChaos',
        podChaos: podKill,
        networkChaos: { action: 'partition', mode: 'one', selector: {} },
      },
    ]),
    'spec.templates[0].networkChaos: Forbidden: templateType PodChaos does not use networkChaos: remove it',
  ],
  [
    'a template of a bad PodChaos (containerNames on pod-kill)',
    'Workflow',
    workflow([{ name: 'a', templateType: 'PodChaos', podChaos: { ...podKill, containerNames: ['x'] } }]),
    'spec.templates[0].podChaos.containerNames: Forbidden: pod-kill acts on whole pods',
  ],
  [
    'a Schedule template of NetworkChaos without networkChaos',
    'Workflow',
    workflow([
      { name: 'a', templateType: 'Schedule', schedule: { schedule: '@every 5s', type: 'NetworkChaos' } },
    ]),
    'spec.templates[0].schedule.networkChaos: Required value: the spec of NetworkChaos is required',
  ],
];

describe('the CEL rules of the Schedule and Workflow CRDs', () => {
  it('compile', () => {
    for (const crd of crds)
      expect({
        kind: crd.spec.names.kind,
        errors: compileErrors(crd.spec.versions[0]!.schema.openAPIV3Schema),
      }).toEqual({ kind: crd.spec.names.kind, errors: [] });
  });

  it.each(CASES)(
    'refuses %s at apply, and the operator names the same field',
    (_what, kind, spec, atApply) => {
      expect(refusedAtApply(kind, spec)).toContainEqual(expect.stringContaining(atApply));
      const field = atApply.slice(0, atApply.indexOf(': '));
      const operator = kind === 'Schedule' ? validator.schedule(spec) : validator.workflow(spec);
      expect(operator.map(v => v.field)).toContainEqual(expect.stringContaining(field));
    },
  );

  it('leaves cycles to the operator: CEL cannot follow a path of templates', () => {
    const cycle = workflow([
      { name: 'a', templateType: 'Serial', children: ['b'] },
      { name: 'b', templateType: 'Parallel', children: ['a'] },
    ]);
    expect(refusedAtApply('Workflow', cycle)).toEqual([]);
    expect(validator.workflow(cycle).map(v => v.message)).toEqual(['a cycle of templates: a → b → a']);
  });

  it('accepts good specs', () => {
    expect(refusedAtApply('Schedule', schedule({}))).toEqual([]);
    expect(
      refusedAtApply(
        'Workflow',
        workflow([
          { name: 'a', templateType: 'Serial', children: ['b', 'c'] },
          { name: 'b', templateType: 'PodChaos', podChaos: podKill },
          { name: 'c', templateType: 'Suspend', deadline: '1s' },
        ]),
      ),
    ).toEqual([]);
  });

  it('bounds the lists its name rules iterate over', () => {
    const root = schemaOf('Workflow')['properties'] as Record<string, JsonSchema>;
    const spec = root['spec']!['properties'] as Record<string, JsonSchema>;
    const templates = spec['templates']!;
    const item = (templates['items'] as JsonSchema)['properties'] as Record<string, JsonSchema>;
    expect([
      templates['maxItems'],
      item['children']!['maxItems'],
      item['conditionalBranches']!['maxItems'],
    ]).toEqual([64, 16, 16]);
  });
});
