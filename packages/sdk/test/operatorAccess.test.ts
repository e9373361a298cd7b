// SPDX-License-Identifier: Apache-2.0
// definePlugin's operatorAccess: what a plugin's controller may do in the API beyond the
// operator's own access. Refused at load time when a rule would grant everything or gives no
// reason, with the field that is wrong.
import { describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  PodSelectorProperties,
  Type,
  definePlugin,
  podSelector,
  type OperatorAccessRule,
} from '@chaosplane/sdk';

const withAccess = (operatorAccess?: readonly OperatorAccessRule[]) =>
  definePlugin({
    kind: {
      kind: 'LabelChaos',
      plural: 'labelchaos',
      spec: Type.Object(PodSelectorProperties),
      selectors: obj => ({ '.': podSelector(obj.spec) }),
    },
    controller: { apply: () => PHASE_INJECTED, recover: () => PHASE_NOT_INJECTED },
    ...(operatorAccess === undefined ? {} : { operatorAccess }),
  });

const PATCH_PODS: OperatorAccessRule = {
  apiGroups: [''],
  resources: ['pods'],
  verbs: ['patch'],
  reason: 'sets a label on the selected pods',
};

function refusal(rules: readonly OperatorAccessRule[]): { message: string; field: string | undefined } {
  try {
    withAccess(rules);
  } catch (error) {
    expect(error).toBeInstanceOf(ChaosplaneError);
    const { message, field, kind } = error as ChaosplaneError;
    expect(kind).toBe('invalid');
    return { message, field };
  }
  throw new Error('definePlugin accepted the rules');
}

describe('definePlugin operatorAccess', () => {
  it('is empty when the plugin declares none, and kept as declared otherwise', () => {
    expect(withAccess().operatorAccess).toEqual([]);
    expect(withAccess([PATCH_PODS]).operatorAccess).toEqual([PATCH_PODS]);
  });

  it('refuses "*" in any list, naming the rule and the list', () => {
    expect(refusal([PATCH_PODS, { ...PATCH_PODS, verbs: ['*'] }])).toEqual({
      field: 'operatorAccess[1].verbs',
      message:
        'operatorAccess[1].verbs must not be "*": name what the controller uses, so the operator\'s role stays least-privilege',
    });
    expect(refusal([{ ...PATCH_PODS, resources: ['pods', '*'] }]).field).toBe('operatorAccess[0].resources');
    expect(refusal([{ ...PATCH_PODS, apiGroups: ['*'] }]).field).toBe('operatorAccess[0].apiGroups');
  });

  it('refuses an empty list and a rule without a reason', () => {
    expect(refusal([{ ...PATCH_PODS, verbs: [] }])).toEqual({
      field: 'operatorAccess[0].verbs',
      message: 'operatorAccess[0].verbs must be a non-empty list of strings',
    });
    expect(refusal([{ ...PATCH_PODS, reason: '  ' }])).toEqual({
      field: 'operatorAccess[0].reason',
      message: 'operatorAccess[0].reason must say what the controller does with it',
    });
  });
});
