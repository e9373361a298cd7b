// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ChaosStatusSchema } from '../src/crd/statusSchema.js';
import { ChaosplaneError, type Violation } from '@chaosplane/sdk';
import {
  assertValid,
  createSpecValidator,
  validateChaosObject,
  validateChaosUpdate,
} from '../src/api/validation.js';
import { sampleKind } from './support/sampleKind.js';

const base = { action: 'pod-kill', mode: 'one', selector: { namespaces: ['default'] } };
const spec = (patch: Record<string, unknown>) => ({ ...base, ...patch });
const selector = (patch: Record<string, unknown>) =>
  spec({ selector: { namespaces: ['default'], ...patch } });

// [what is wrong, spec, expected field, expected message]
const badSpecs: Array<[string, unknown, string, string]> = [
  [
    'unknown mode',
    spec({ mode: 'some' }),
    'spec.mode',
    'Unsupported value: "some": supported values: "one", "all", "fixed", "fixed-percent", "random-max-percent"',
  ],
  ['mode missing', { action: 'pod-kill', selector: {} }, 'spec.mode', 'Required value'],
  ['mode of the wrong type', spec({ mode: 1 }), 'spec.mode', 'must be of type string, got integer'],
  [
    'fixed with 0',
    spec({ mode: 'fixed', value: '0' }),
    'spec.value',
    'value must be greater than 0 with mode:fixed',
  ],
  [
    'fixed with -3',
    spec({ mode: 'fixed', value: '-3' }),
    'spec.value',
    'value must be greater than 0 with mode:fixed',
  ],
  [
    'fixed without value',
    spec({ mode: 'fixed' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "": invalid syntax',
  ],
  [
    'fixed with a word',
    spec({ mode: 'fixed', value: 'two' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "two": invalid syntax',
  ],
  [
    'fixed with a fraction',
    spec({ mode: 'fixed', value: '1.5' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "1.5": invalid syntax',
  ],
  [
    'fixed beyond int64',
    spec({ mode: 'fixed', value: '99999999999999999999' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "99999999999999999999": value out of range',
  ],
  [
    'value as a number',
    spec({ mode: 'fixed', value: 2 }),
    'spec.value',
    'must be of type string, got integer',
  ],
  [
    'fixed-percent 0',
    spec({ mode: 'fixed-percent', value: '0' }),
    'spec.value',
    'value of 0 is invalid, Must be (0,100] with mode:fixed-percent',
  ],
  [
    'fixed-percent 101',
    spec({ mode: 'fixed-percent', value: '101' }),
    'spec.value',
    'value of 101 is invalid, Must be (0,100] with mode:fixed-percent',
  ],
  [
    'fixed-percent -1',
    spec({ mode: 'fixed-percent', value: '-1' }),
    'spec.value',
    'value of -1 is invalid, Must be (0,100] with mode:fixed-percent',
  ],
  [
    'fixed-percent with a percent sign',
    spec({ mode: 'fixed-percent', value: '50%' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "50%": invalid syntax',
  ],
  [
    'random-max-percent 0',
    spec({ mode: 'random-max-percent', value: '0' }),
    'spec.value',
    'value of 0 is invalid, Must be (0,100] with mode:random-max-percent',
  ],
  [
    'random-max-percent 250',
    spec({ mode: 'random-max-percent', value: '250' }),
    'spec.value',
    'value of 250 is invalid, Must be (0,100] with mode:random-max-percent',
  ],
  [
    'random-max-percent empty',
    spec({ mode: 'random-max-percent', value: '' }),
    'spec.value',
    'parse value field error:strconv.Atoi: parsing "": invalid syntax',
  ],
  [
    'unparsable duration',
    spec({ duration: 'ten minutes' }),
    'spec.duration',
    'parse duration field error: time: invalid duration "ten minutes"',
  ],
  [
    'duration without unit',
    spec({ duration: '30' }),
    'spec.duration',
    'parse duration field error: time: missing unit in duration "30"',
  ],
  [
    'duration in days',
    spec({ duration: '1d' }),
    'spec.duration',
    'parse duration field error: time: unknown unit "d" in duration "1d"',
  ],
  [
    'negative duration',
    spec({ duration: '-5m' }),
    'spec.duration',
    'parse duration field error: duration "-5m" must not be negative',
  ],
  ['duration as a number', spec({ duration: 30 }), 'spec.duration', 'must be of type string, got integer'],
  ['unknown spec field', spec({ durration: '5m' }), 'spec.durration', 'unknown field "durration"'],
  [
    'unknown selector field',
    selector({ labelSelector: { app: 'x' } }),
    'spec.selector.labelSelector',
    'unknown field "labelSelector"',
  ],
  [
    'namespaces as a string',
    selector({ namespaces: 'default' }),
    'spec.selector.namespaces',
    'must be of type array, got string',
  ],
  [
    'a namespace of the wrong type',
    selector({ namespaces: ['default', 7] }),
    'spec.selector.namespaces[1]',
    'must be of type string, got integer',
  ],
  [
    'labelSelectors as a list',
    selector({ labelSelectors: ['app=web'] }),
    'spec.selector.labelSelectors',
    'must be of type object, got array',
  ],
  [
    'a label value that is not a string',
    selector({ labelSelectors: { app: true } }),
    'spec.selector.labelSelectors.app',
    'must be of type string, got boolean',
  ],
  [
    'annotationSelectors as a string',
    selector({ annotationSelectors: 'a=b' }),
    'spec.selector.annotationSelectors',
    'must be of type object, got string',
  ],
  [
    'fieldSelectors value not a string',
    selector({ fieldSelectors: { 'spec.nodeName': 1 } }),
    'spec.selector.fieldSelectors["spec.nodeName"]',
    'must be of type string, got integer',
  ],
  [
    'expression operator unknown',
    selector({ expressionSelectors: [{ key: 'app', operator: 'Like', values: ['a'] }] }),
    'spec.selector.expressionSelectors[0].operator',
    'Unsupported value: "Like": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
  ],
  [
    'expression without key',
    selector({ expressionSelectors: [{ operator: 'Exists' }] }),
    'spec.selector.expressionSelectors[0].key',
    'Required value',
  ],
  [
    'In without values',
    selector({ expressionSelectors: [{ key: 'app', operator: 'In' }] }),
    'spec.selector.expressionSelectors[0].values',
    "Required value: must be specified when `operator` is 'In' or 'NotIn'",
  ],
  [
    'Exists with values',
    selector({ expressionSelectors: [{ key: 'app', operator: 'Exists', values: ['x'] }] }),
    'spec.selector.expressionSelectors[0].values',
    "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
  ],
  [
    'expressionSelectors as a map',
    selector({ expressionSelectors: { app: 'web' } }),
    'spec.selector.expressionSelectors',
    'must be of type array, got object',
  ],
  [
    'unknown pod phase',
    selector({ podPhaseSelectors: ['Completed'] }),
    'spec.selector.podPhaseSelectors[0]',
    'Unsupported value: "Completed": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown", each optionally prefixed with "!"',
  ],
  [
    'pods as a list',
    selector({ pods: ['default/web-0'] }),
    'spec.selector.pods',
    'must be of type object, got array',
  ],
  [
    'pods names not a list',
    selector({ pods: { default: 'web-0' } }),
    'spec.selector.pods.default',
    'must be of type array, got string',
  ],
  [
    'nodes as a string',
    selector({ nodes: 'node-1' }),
    'spec.selector.nodes',
    'must be of type array, got string',
  ],
  [
    'nodeSelectors as a list',
    selector({ nodeSelectors: ['zone=a'] }),
    'spec.selector.nodeSelectors',
    'must be of type object, got array',
  ],
  ['selector missing', { action: 'pod-kill', mode: 'one' }, 'spec.selector', 'Required value'],
  [
    'selector of the wrong type',
    spec({ selector: 'app=web' }),
    'spec.selector',
    'must be of type object, got string',
  ],
  [
    'containerNames as a string',
    spec({ containerNames: 'nginx' }),
    'spec.containerNames',
    'must be of type array, got string',
  ],
  [
    'unknown action',
    spec({ action: 'pod-explode' }),
    'spec.action',
    'Unsupported value: "pod-explode": supported values: "pod-kill", "pod-failure", "container-kill"',
  ],
  [
    'container-kill without containers',
    spec({ action: 'container-kill' }),
    'spec.containerNames',
    'the name of container is required on container-kill action',
  ],
  ['negative grace period', spec({ gracePeriod: -1 }), 'spec.gracePeriod', 'must be >= 0'],
  [
    'grace period as a string',
    spec({ gracePeriod: '30' }),
    'spec.gracePeriod',
    'must be of type integer, got string',
  ],
];

describe('validateChaosObject', () => {
  it(`has at least 30 bad specs (${badSpecs.length})`, () => {
    expect(badSpecs.length).toBeGreaterThanOrEqual(30);
  });

  it.each(badSpecs)('rejects %s', (_what, badSpec, field, message) => {
    const violations = validateChaosObject(sampleKind, { spec: badSpec });
    expect(violations).toContainEqual({ field, message } satisfies Violation);
  });

  it('returns every violation, not just the first', () => {
    const violations = validateChaosObject(sampleKind, {
      spec: {
        action: 'pod-kill',
        mode: 'fixed',
        value: '0',
        duration: 'x',
        selector: { namespaces: 'a' },
        extra: 1,
      },
    });
    expect(violations.map(v => v.field).sort()).toEqual(
      ['spec.duration', 'spec.extra', 'spec.selector.namespaces', 'spec.value'].sort(),
    );
  });

  it('throws a ChaosplaneError naming the field through assertValid', () => {
    const violations = validateChaosObject(sampleKind, { spec: spec({ mode: 'fixed', value: '0' }) });
    expect(() => assertValid(violations)).toThrow('spec.value: value must be greater than 0 with mode:fixed');
    try {
      assertValid(violations);
    } catch (error) {
      expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
      expect((error as ChaosplaneError).field).toBe('spec.value');
    }
  });

  // Selector and spec examples from Chaos Mesh's documentation ("Define the scope of chaos
  // experiments", "Simulate pod faults"), rewritten as YAML specs of the sample kind.
  const documented = [
    `action: pod-kill
mode: one
selector:
  namespaces: [tidb-cluster-demo]
  labelSelectors:
    app.kubernetes.io/component: tikv`,
    `action: pod-failure
mode: one
duration: 30s
selector:
  labelSelectors:
    app.kubernetes.io/component: tikv`,
    `action: container-kill
mode: one
containerNames: [prometheus]
selector:
  labelSelectors:
    app.kubernetes.io/component: monitor`,
    `action: pod-kill
mode: fixed-percent
value: "50"
selector:
  expressionSelectors:
    - { key: tier, operator: In, values: [cache] }
    - { key: environment, operator: NotIn, values: [dev] }`,
    `action: pod-kill
mode: fixed
value: "2"
selector:
  annotationSelectors:
    selector-chaos-mesh.org: mock
  fieldSelectors:
    metadata.name: my-pod
  podPhaseSelectors: [Running]
  nodeSelectors:
    kubernetes.io/hostname: node1
  nodes: [node1, node2]`,
    `action: pod-kill
mode: all
selector:
  pods:
    tidb-cluster-demo: [basic-pd-0, basic-pd-1]`,
    `action: pod-failure
mode: random-max-percent
value: "100"
duration: 2h45m30.5s
selector:
  namespaces: [app]
  podPhaseSelectors: ['!Failed']`,
  ];

  it.each(documented)('accepts a documented spec #%#', text => {
    expect(validateChaosObject(sampleKind, { spec: parse(text) })).toEqual([]);
  });

  it('accepts a status shaped like Chaos Mesh’s documentation', () => {
    // Status is written by the engine, but its JSON must parse into our types unchanged.
    const status = parse(`conditions:
  - { type: Selected, status: "True" }
  - { type: AllInjected, status: "True" }
  - { type: AllRecovered, status: "False" }
  - { type: Paused, status: "False" }
experiment:
  desiredPhase: Run
  containerRecords:
    - id: busybox/busybox-0/busybox
      selectorKey: .
      phase: Injected
      injectedCount: 1
      recoveredCount: 0
      events:
        - { type: Succeeded, operation: Apply, timestamp: "2026-11-27T10:00:00Z" }`) as Record<
      string,
      unknown
    >;
    const validateStatus = createSpecValidator(ChaosStatusSchema);
    expect(validateStatus(status, 'status')).toEqual([]);
    // The same check refuses a record without its phase, naming the field.
    const broken = structuredClone(status) as { experiment: { containerRecords: Record<string, unknown>[] } };
    delete broken.experiment.containerRecords[0]!['phase'];
    expect(validateStatus(broken, 'status')).toEqual([
      expect.objectContaining({ field: 'status.experiment.containerRecords[0].phase' }),
    ]);
  });

  it('reads value as Go’s Atoi does: the whole int64 range, exactly', () => {
    const at = (mode: string, value: string) =>
      validateChaosObject(sampleKind, { spec: spec({ mode, value }) });
    expect(at('fixed', '9223372036854775807')).toEqual([]);
    expect(at('fixed', '9223372036854775808')).toEqual([
      {
        field: 'spec.value',
        message: 'parse value field error:strconv.Atoi: parsing "9223372036854775808": value out of range',
      },
    ]);
    expect(at('fixed-percent', '9007199254740993')).toEqual([
      {
        field: 'spec.value',
        message: 'value of 9007199254740993 is invalid, Must be (0,100] with mode:fixed-percent',
      },
    ]);
  });

  it('accepts an empty duration (no duration), as Chaos Mesh’s webhook does', () => {
    expect(validateChaosObject(sampleKind, { spec: spec({ duration: '' }) })).toEqual([]);
  });
});

describe('createSpecValidator', () => {
  it('validators of equal schemas (compiled once) each report their own spec, used in turn', () => {
    const schema = () => ({
      type: 'object',
      properties: { mode: { type: 'string', enum: ['one', 'all'] }, count: { type: 'integer' } },
      required: ['mode'],
    });
    const first = createSpecValidator(schema());
    const second = createSpecValidator(schema());
    expect(first({ mode: 'some' }).map(v => v.field)).toEqual(['spec.mode']);
    expect(second({ count: 'x', mode: 'one' }).map(v => v.field)).toEqual(['spec.count']);
    expect(first({ mode: 'all' })).toEqual([]);
    expect(second({}).map(v => `${v.field}: ${v.message}`)).toEqual(['spec.mode: Required value']);
  });
});

describe('validateChaosUpdate', () => {
  it('refuses any spec change with Chaos Mesh’s message', () => {
    expect(validateChaosUpdate({ spec: base }, { spec: spec({ mode: 'all' }) })).toEqual([
      { field: 'spec', message: 'Cannot update chaos spec' },
    ]);
  });

  it('allows an identical spec written in another key order', () => {
    expect(
      validateChaosUpdate(
        { spec: { mode: 'one', action: 'pod-kill' } },
        { spec: { action: 'pod-kill', mode: 'one' } },
      ),
    ).toEqual([]);
  });
});
