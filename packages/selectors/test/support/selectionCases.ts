// SPDX-License-Identifier: Apache-2.0
// The table of selection cases over the fixture cluster (support/cluster.ts), run in memory and
// against kube-emulator (through the cache and through direct LIST). Mode `all`, so the expected
// ids are exact.
import type { PodSelectorSpec } from '@chaosplane/sdk/framework';
import type { PodSelectorOptions } from '@chaosplane/selectors';

export interface SelectionCase {
  name: string;
  spec: PodSelectorSpec;
  /** The chaos object's namespace; default `app`. */
  namespace?: string;
  options?: PodSelectorOptions;
  /** Expected target ids (sorted), or the expected error message. */
  expect: string[] | { error: string };
}

const RUNNING_IN_APP = ['app/api-1', 'app/api-2', 'app/web-1', 'app/web-2'];

export const SELECTION_CASES: SelectionCase[] = [
  // namespaces
  { name: 'empty selector: Running pods of the chaos object namespace', spec: {}, expect: RUNNING_IN_APP },
  { name: 'namespaces: explicit', spec: { namespaces: ['other'] }, expect: ['other/web-3'] },
  {
    name: 'namespaces: two, ANDed with labels',
    spec: { namespaces: ['app', 'other'], labelSelectors: { app: 'web' } },
    expect: ['app/web-1', 'app/web-2', 'other/web-3'],
  },
  {
    name: 'namespaces: one that does not exist',
    spec: { namespaces: ['nowhere'] },
    expect: { error: 'no pod is selected' },
  },
  // labels
  {
    name: 'labelSelectors: one label',
    spec: { labelSelectors: { app: 'web' } },
    expect: ['app/web-1', 'app/web-2'],
  },
  {
    name: 'labelSelectors: two labels',
    spec: { labelSelectors: { app: 'api', tier: 'back' } },
    expect: ['app/api-1'],
  },
  {
    name: 'labelSelectors: no match',
    spec: { labelSelectors: { app: 'nope' } },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'expressionSelectors: In',
    spec: { expressionSelectors: [{ key: 'app', operator: 'In', values: ['api', 'job'] }] },
    expect: ['app/api-1', 'app/api-2'],
  },
  {
    name: 'expressionSelectors: NotIn (absent key matches)',
    spec: { expressionSelectors: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
    expect: ['app/api-1', 'app/api-2'],
  },
  {
    name: 'expressionSelectors: Exists',
    spec: { expressionSelectors: [{ key: 'tier', operator: 'Exists' }] },
    expect: ['app/api-1', 'app/web-1', 'app/web-2'],
  },
  {
    name: 'expressionSelectors: DoesNotExist',
    spec: { expressionSelectors: [{ key: 'tier', operator: 'DoesNotExist' }] },
    expect: ['app/api-2'],
  },
  {
    name: 'labelSelectors AND expressionSelectors',
    spec: {
      labelSelectors: { app: 'web' },
      expressionSelectors: [{ key: 'tier', operator: 'In', values: ['front'] }],
    },
    expect: ['app/web-1', 'app/web-2'],
  },
  // annotations
  {
    name: 'annotationSelectors',
    spec: { annotationSelectors: { team: 'blue' } },
    expect: ['app/api-1', 'app/web-1'],
  },
  {
    name: 'annotationSelectors AND labelSelectors',
    spec: { annotationSelectors: { team: 'blue' }, labelSelectors: { app: 'web' } },
    expect: ['app/web-1'],
  },
  // fields
  {
    name: 'fieldSelectors: metadata.name',
    spec: { fieldSelectors: { 'metadata.name': 'web-2' } },
    expect: ['app/web-2'],
  },
  {
    name: 'fieldSelectors: metadata.namespace',
    spec: { fieldSelectors: { 'metadata.namespace': 'app' } },
    expect: RUNNING_IN_APP,
  },
  {
    name: 'fieldSelectors: spec.nodeName',
    spec: { fieldSelectors: { 'spec.nodeName': 'node-a' } },
    expect: ['app/api-2', 'app/web-1'],
  },
  {
    name: 'fieldSelectors: spec.nodeName with ==',
    spec: { fieldSelectors: { 'spec.nodeName': '==node-b' } },
    expect: ['app/web-2'],
  },
  {
    name: 'fieldSelectors: spec.nodeName with !=',
    spec: { fieldSelectors: { 'spec.nodeName': '!=node-a' } },
    expect: ['app/api-1', 'app/web-2'],
  },
  {
    name: 'fieldSelectors: spec.restartPolicy',
    spec: { fieldSelectors: { 'spec.restartPolicy': 'OnFailure' } },
    expect: ['app/api-2'],
  },
  {
    name: 'fieldSelectors: spec.schedulerName',
    spec: { fieldSelectors: { 'spec.schedulerName': 'custom' } },
    expect: ['app/api-2'],
  },
  {
    name: 'fieldSelectors: spec.serviceAccountName',
    spec: { fieldSelectors: { 'spec.serviceAccountName': 'web' } },
    expect: ['app/web-1', 'app/web-2'],
  },
  {
    name: 'fieldSelectors: status.phase',
    spec: { fieldSelectors: { 'status.phase': 'Running' } },
    expect: RUNNING_IN_APP,
  },
  {
    name: 'fieldSelectors: status.phase=Succeeded still needs the phase named',
    spec: { fieldSelectors: { 'status.phase': 'Succeeded' } },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'fieldSelectors: status.podIP',
    spec: { fieldSelectors: { 'status.podIP': '10.0.0.3' } },
    expect: ['app/api-1'],
  },
  {
    name: 'fieldSelectors: status.nominatedNodeName',
    spec: { fieldSelectors: { 'status.nominatedNodeName': 'node-b' } },
    expect: ['app/api-2'],
  },
  {
    name: 'fieldSelectors: two fields',
    spec: { fieldSelectors: { 'spec.nodeName': 'node-a', 'spec.restartPolicy': 'Always' } },
    expect: ['app/web-1'],
  },
  // nodes
  { name: 'nodes: one', spec: { nodes: ['node-a'] }, expect: ['app/api-2', 'app/web-1'] },
  {
    name: 'nodes: two',
    spec: { nodes: ['node-a', 'node-b'] },
    expect: ['app/api-2', 'app/web-1', 'app/web-2'],
  },
  {
    name: 'nodes: unknown node',
    spec: { nodes: ['node-x'] },
    expect: { error: 'cannot parse node selector, msg: nodes "node-x" not found' },
  },
  {
    name: 'nodeSelectors: zone=a',
    spec: { nodeSelectors: { zone: 'a' } },
    expect: ['app/api-1', 'app/api-2', 'app/web-1'],
  },
  {
    name: 'nodeSelectors: two labels',
    spec: { nodeSelectors: { zone: 'a', disk: 'ssd' } },
    expect: ['app/api-2', 'app/web-1'],
  },
  {
    name: 'nodeSelectors: no node matches',
    spec: { nodeSelectors: { zone: 'z' } },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'nodes OR nodeSelectors (union of the nodes)',
    spec: { nodes: ['node-b'], nodeSelectors: { disk: 'ssd' } },
    expect: ['app/api-2', 'app/web-1', 'app/web-2'],
  },
  // phases
  { name: 'podPhaseSelectors: Succeeded', spec: { podPhaseSelectors: ['Succeeded'] }, expect: ['app/job-1'] },
  {
    name: 'podPhaseSelectors: Running and Succeeded',
    spec: { podPhaseSelectors: ['Running', 'Succeeded'] },
    expect: [...RUNNING_IN_APP, 'app/job-1'].sort(),
  },
  {
    name: 'podPhaseSelectors: every phase (terminating still excluded)',
    spec: { podPhaseSelectors: ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] },
    expect: [...RUNNING_IN_APP, 'app/job-1', 'app/job-2', 'app/pending-1'].sort(),
  },
  {
    name: 'podPhaseSelectors: !Failed keeps the Running-only rule',
    spec: { podPhaseSelectors: ['!Failed'] },
    expect: RUNNING_IN_APP,
  },
  {
    name: 'podPhaseSelectors: !Running',
    spec: { podPhaseSelectors: ['!Running'] },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'podPhaseSelectors: Pending with labels and nominated node',
    spec: {
      podPhaseSelectors: ['Pending'],
      labelSelectors: { app: 'web' },
      fieldSelectors: { 'status.nominatedNodeName': 'node-c' },
    },
    expect: ['app/pending-1'],
  },
  // combinations
  {
    name: 'labels AND fields',
    spec: { labelSelectors: { app: 'web' }, fieldSelectors: { 'spec.nodeName': 'node-b' } },
    expect: ['app/web-2'],
  },
  {
    name: 'expression AND annotation AND nodeSelectors',
    spec: {
      expressionSelectors: [{ key: 'tier', operator: 'Exists' }],
      annotationSelectors: { team: 'blue' },
      nodeSelectors: { zone: 'a' },
    },
    expect: ['app/api-1', 'app/web-1'],
  },
  {
    name: 'every field at once',
    spec: {
      namespaces: ['app', 'other'],
      labelSelectors: { app: 'web' },
      expressionSelectors: [{ key: 'tier', operator: 'In', values: ['front'] }],
      annotationSelectors: { team: 'blue' },
      fieldSelectors: { 'spec.restartPolicy': 'Always' },
      nodes: ['node-a'],
      podPhaseSelectors: ['Running'],
    },
    expect: ['app/web-1'],
  },
  // pods map
  {
    name: 'pods: explicit pods, missing and non-Running skipped',
    spec: { pods: { app: ['web-1', 'job-1', 'missing'], other: ['web-3'] } },
    expect: ['app/web-1', 'other/web-3'],
  },
  {
    name: 'pods: short-circuits labels, namespaces and nodes',
    spec: {
      pods: { app: ['web-1'] },
      labelSelectors: { app: 'api' },
      namespaces: ['other'],
      nodes: ['node-x'],
    },
    expect: ['app/web-1'],
  },
  {
    name: 'pods: a non-Running pod needs its phase named',
    spec: { pods: { app: ['job-1'] }, podPhaseSelectors: ['Succeeded'] },
    expect: ['app/job-1'],
  },
  {
    name: 'pods: podPhaseSelectors never narrows the map (a named Running pod stays)',
    spec: { pods: { app: ['web-1', 'job-1'] }, podPhaseSelectors: ['Pending', '!Running'] },
    expect: ['app/web-1'],
  },
  {
    name: 'pods: a terminating pod is never selected',
    spec: { pods: { app: ['dying-1'] } },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'pods: protected namespaces still apply',
    spec: { pods: { 'kube-system': ['dns-1'] } },
    expect: { error: 'no pod is selected' },
  },
  // gates
  {
    name: 'gate: kube-system is protected by default',
    spec: { namespaces: ['app', 'kube-system'], labelSelectors: { app: 'dns' } },
    expect: { error: 'no pod is selected' },
  },
  {
    name: 'gate: protection can be lifted',
    spec: { namespaces: ['kube-system'] },
    options: { protectedNamespaces: [] },
    expect: ['kube-system/dns-1'],
  },
  {
    name: "gate: the operator's namespace is protected",
    spec: { namespaces: ['ops', 'other'] },
    options: { protectedNamespaces: [], operatorNamespace: 'ops' },
    expect: ['other/web-3'],
  },
  {
    name: 'gate: filterNamespaces keeps annotated namespaces only',
    spec: { namespaces: ['app', 'other'], labelSelectors: { app: 'web' } },
    options: { filterNamespaces: true },
    expect: ['app/web-1', 'app/web-2'],
  },
  {
    name: 'gate: filterNamespaces applies to pods',
    spec: { pods: { other: ['web-3'], app: ['web-2'] } },
    options: { filterNamespaces: true },
    expect: ['app/web-2'],
  },
  {
    name: 'gate: scoped mode, the scoped namespace',
    spec: { labelSelectors: { app: 'web' } },
    options: { targetNamespace: 'app' },
    expect: ['app/web-1', 'app/web-2'],
  },
  {
    name: 'gate: scoped mode, two namespaces',
    spec: { namespaces: ['app', 'other'] },
    options: { targetNamespace: 'app' },
    expect: { error: 'could NOT use more than 1 namespace selector within namespace scoped mode' },
  },
  {
    name: 'gate: scoped mode, another namespace',
    spec: { namespaces: ['other'] },
    options: { targetNamespace: 'app' },
    expect: { error: 'could NOT list pods from out of scoped namespace: other' },
  },
  {
    name: 'gate: scoped mode skips pods of other namespaces',
    spec: { pods: { other: ['web-3'], app: ['web-1'] } },
    options: { targetNamespace: 'app' },
    expect: ['app/web-1'],
  },
  {
    name: 'gate: terminating pods are never selected',
    spec: { labelSelectors: { tier: 'front' } },
    expect: ['app/web-1', 'app/web-2'],
  },
];
