// SPDX-License-Identifier: Apache-2.0
// The namespace-defaulting warning policy generated from kinds: one validation per pod selector
// of a kind's spec, evaluated here with @chaosplane/cel (the compiler kube-emulator enforces it
// with) against the engine's own condition; nothing for kinds without a pod selector. The
// apply-time warning through kubectl is packages/operator/test/namespaceDefaultingWarning.system.test.ts.
import { describe, expect, it } from '@jest/globals';
import { compileExpression, jsonToCel } from '@chaosplane/cel';
import { Type, definePlugin, type ChaosKind } from '@chaosplane/sdk';
import {
  defaultedNamespaceFields,
  generateNamespaceDefaultingPolicy,
  NAMESPACE_DEFAULTING_POLICY,
} from '../src/index.js';
import { sampleKind } from './support/sampleKind.js';

const noSelector = definePlugin({
  kind: {
    kind: 'ClockChaos',
    plural: 'clockchaos',
    spec: Type.Object({ offset: Type.String() }),
    selectors: () => ({}),
  },
  controller: { apply: () => 'Injected', recover: () => 'Not Injected' },
} as never).kind as ChaosKind;

describe('generateNamespaceDefaultingPolicy', () => {
  const kind = sampleKind;

  it('is nothing for kinds without a pod selector', () => {
    expect(generateNamespaceDefaultingPolicy([noSelector])).toBeUndefined();
  });

  it('binds one Warn-only, failure-ignoring policy over the kinds with selectors', () => {
    const { policy, binding } = generateNamespaceDefaultingPolicy([kind, noSelector])!;
    expect(policy.metadata.name).toBe(NAMESPACE_DEFAULTING_POLICY);
    expect(policy.spec.failurePolicy).toBe('Ignore');
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      {
        apiGroups: [kind.group],
        apiVersions: [kind.version],
        resources: ['samplechaos'],
        operations: ['CREATE', 'UPDATE'],
      },
    ]);
    expect(binding.spec).toEqual({ policyName: NAMESPACE_DEFAULTING_POLICY, validationActions: ['Warn'] });
  });

  it('fails its validation exactly where the engine defaults, with the field and namespace in the message', () => {
    const { policy } = generateNamespaceDefaultingPolicy([kind])!;
    expect(policy.spec.validations).toHaveLength(1);
    const [validation] = policy.spec.validations;
    const shapes = [
      {},
      { labelSelectors: { a: 'b' } },
      { namespaces: [] },
      { namespaces: ['x'] },
      { pods: { x: ['p'] } },
    ];
    const outcomes = shapes.map(selector => {
      const obj = {
        apiVersion: `${kind.group}/${kind.version}`,
        kind: kind.kind,
        metadata: { name: 'o', namespace: 'team' },
        spec: { action: 'pod-kill', mode: 'all', selector },
      };
      const vars = {
        object: jsonToCel(obj),
        oldObject: null,
        request: { operation: 'CREATE', resource: { group: kind.group, resource: kind.plural } },
      };
      const passed = compileExpression(validation!.expression)(vars) === true;
      expect(passed).toBe(defaultedNamespaceFields(kind, obj as never).length === 0);
      return passed ? 'passes' : compileExpression(validation!.messageExpression)(vars);
    });
    expect(outcomes).toEqual([
      ...Array(3).fill(
        `spec.selector.namespaces: not set; defaulted to ["team"], the object's own namespace (as Chaos Mesh's defaulting webhook would write it)`,
      ),
      'passes',
      'passes',
    ]);
  });
});
