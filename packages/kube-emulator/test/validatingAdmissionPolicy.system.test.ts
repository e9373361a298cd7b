// SPDX-License-Identifier: Apache-2.0
// ValidatingAdmissionPolicies enforced by the emulator, seen through the real kubectl: Warn
// actions print `Warning: …` and the object is written, Deny refuses with the API server's status
// and words, match constraints (resource, operation, objectSelector, namespaceSelector,
// matchConditions) keep a policy off writes it does not cover, messageExpression falls back as
// Kubernetes does, evaluation errors follow failurePolicy, and policies the emulator cannot
// enforce are refused at create naming the field.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { kubectlOutcome, type KubectlOutcome } from '@chaosplane/dev';
import { describeIf, kubectlUnavailableReason } from '@chaosplane/testing';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { type KubeEmulator, startKubeEmulator } from '../src/index.js';
import { raw } from './support.js';

const GROUP = 'admissionregistration.k8s.io/v1';

/** A policy on configmaps with `validations`, and what else `spec` adds. */
function policy(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: GROUP,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['configmaps'],
            operations: ['CREATE', 'UPDATE'],
          },
        ],
      },
      ...spec,
    },
  };
}

function binding(name: string, policyName: string, actions: string[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: GROUP,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions: actions, ...extra },
  };
}

function configMap(name: string, namespace: string, labels: Record<string, string> = {}, data = { a: '1' }) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

describeIf(kubectlUnavailableReason(27, 'server-side field validation'))(
  'ValidatingAdmissionPolicy through kubectl',
  () => {
    let emulator: KubeEmulator;
    let dir: string;

    const kubectl = (args: string[], stdin?: string): Promise<KubectlOutcome> =>
      kubectlOutcome(emulator.kubeconfigPath, ['--cache-dir', path.join(dir, 'cache'), ...args], {
        timeoutMs: 30_000,
        ...(stdin !== undefined ? { stdin } : {}),
      });

    /** `kubectl apply -f -` of objects. */
    const apply = (...objects: unknown[]) =>
      kubectl(['apply', '-f', '-'], objects.map(o => stringify(o)).join('---\n'));

    async function applyOk(...objects: unknown[]): Promise<KubectlOutcome> {
      const result = await apply(...objects);
      if (result.code !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
      return result;
    }

    const warnings = (r: KubectlOutcome) => r.stderr.split('\n').filter(l => l.startsWith('Warning: '));

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vap-'));
      emulator = await startKubeEmulator();
      await applyOk(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'strict', labels: { enforce: 'enabled' } } },
      );
    });

    afterAll(async () => {
      await emulator?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('is served: discovery lists both kinds, kubectl gets them back', async () => {
      const resources = await kubectl([
        'api-resources',
        '--api-group',
        'admissionregistration.k8s.io',
        '-o',
        'name',
      ]);
      expect(resources.stdout.split('\n')).toEqual(
        expect.arrayContaining([
          'validatingadmissionpolicies.admissionregistration.k8s.io',
          'validatingadmissionpolicybindings.admissionregistration.k8s.io',
        ]),
      );
      await applyOk(
        policy('served', { validations: [{ expression: 'true' }] }),
        binding('served', 'served', ['Audit']),
      );
      const got = await kubectl([
        'get',
        'validatingadmissionpolicy',
        'served',
        '-o',
        'jsonpath={.spec.validations[0].expression}',
      ]);
      expect(got.stdout).toBe('true');
      expect((await kubectl(['delete', 'validatingadmissionpolicybinding', 'served'])).code).toBe(0);
    });

    it('Warn: kubectl prints the warning and the object is created; a passing object gets none', async () => {
      await applyOk(
        policy('team-label', {
          validations: [
            {
              expression: "has(object.metadata.labels) && 'team' in object.metadata.labels",
              messageExpression:
                "'metadata.labels.team: not set on ' + object.metadata.name + ' in ' + request.namespace + ' (by ' + request.userInfo.username + ')'",
            },
          ],
        }),
        binding('team-label-warn', 'team-label', ['Warn']),
      );
      const unlabelled = await applyOk(configMap('no-team', 'plain'));
      expect(warnings(unlabelled)).toEqual([
        "Warning: Validation failed for ValidatingAdmissionPolicy 'team-label' with binding 'team-label-warn': metadata.labels.team: not set on no-team in plain (by kubernetes-admin)",
      ]);
      expect(unlabelled.stdout).toContain('configmap/no-team created');
      expect((await kubectl(['-n', 'plain', 'get', 'configmap', 'no-team'])).code).toBe(0);
      const labelled = await applyOk(configMap('with-team', 'plain', { team: 'a' }));
      expect(warnings(labelled)).toEqual([]);
      // An update is covered too (the rule lists UPDATE).
      const updated = await applyOk(configMap('no-team', 'plain', {}, { a: '2' }));
      expect(warnings(updated)).toHaveLength(1);
    });

    it('Deny: refused with the API server status, message and cause; nothing is written', async () => {
      await applyOk(
        binding('team-label-deny', 'team-label', ['Deny'], {
          matchResources: { namespaceSelector: { matchLabels: { enforce: 'enabled' } } },
        }),
      );
      const refused = await apply(configMap('denied', 'strict'));
      expect(refused.code).not.toBe(0);
      // kubectl prints a 422 from its cause, as it does for a real API server's.
      expect(refused.stderr).toContain(
        `The configmaps "denied" is invalid: : ValidatingAdmissionPolicy 'team-label' with binding 'team-label-deny' denied request: metadata.labels.team: not set on denied in strict (by kubernetes-admin)`,
      );
      expect((await kubectl(['-n', 'strict', 'get', 'configmap', 'denied'])).code).not.toBe(0);
      const body = JSON.stringify(configMap('denied', 'strict'));
      const answer = await raw(emulator, 'POST', '/api/v1/namespaces/strict/configmaps', body, {
        'Content-Type': 'application/json',
      });
      // No reason on the validation: Invalid, 422; the Warn binding's warning comes along.
      expect(answer.status).toBe(422);
      expect(answer.json.message).toBe(
        `configmaps "denied" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'team-label-deny' denied request: metadata.labels.team: not set on denied in strict (by kubernetes-admin)`,
      );
      expect(answer.json).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        details: {
          name: 'denied',
          kind: 'configmaps',
          causes: [
            {
              message:
                "ValidatingAdmissionPolicy 'team-label' with binding 'team-label-deny' denied request: metadata.labels.team: not set on denied in strict (by kubernetes-admin)",
            },
          ],
        },
      });
      expect(String(answer.headers['warning'])).toMatch(
        /^299 - "Validation failed for ValidatingAdmissionPolicy 'team-label' with binding 'team-label-warn': /,
      );
      // The namespaceSelector keeps the Deny binding out of other namespaces.
      expect((await apply(configMap('allowed', 'plain'))).code).toBe(0);
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'team-label-deny', 'team-label-warn']);
    });

    it('a validation reason sets the code: Forbidden is a 403', async () => {
      await applyOk(
        policy('forbid-x', {
          validations: [
            { expression: '!has(object.data.x)', message: 'data.x is reserved', reason: 'Forbidden' },
          ],
        }),
        binding('forbid-x', 'forbid-x', ['Deny']),
      );
      const answer = await raw(
        emulator,
        'POST',
        '/api/v1/namespaces/plain/configmaps',
        JSON.stringify(configMap('x', 'plain', {}, { x: '1' } as never)),
        {
          'Content-Type': 'application/json',
        },
      );
      expect(answer.status).toBe(403);
      expect(answer.json.message).toBe(
        `configmaps "x" is forbidden: ValidatingAdmissionPolicy 'forbid-x' with binding 'forbid-x' denied request: data.x is reserved`,
      );
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'forbid-x']);
    });

    it('match constraints: other resources, operations, objectSelector and matchConditions do not fire', async () => {
      await applyOk(
        policy('narrow', {
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE'] },
            ],
            objectSelector: { matchExpressions: [{ key: 'checked', operator: 'Exists' }] },
          },
          matchConditions: [{ name: 'not-exempt', expression: "!('exempt' in object.data)" }],
          validations: [{ expression: 'false', message: 'narrow fired' }],
        }),
        binding('narrow', 'narrow', ['Deny']),
      );
      expect((await apply(configMap('n1', 'plain', { checked: 'sure' }))).stderr).toContain('narrow fired');
      // Not selected by objectSelector.
      expect((await apply(configMap('n2', 'plain'))).code).toBe(0);
      // A matchCondition is false.
      expect(
        (await apply(configMap('n3', 'plain', { checked: 'sure' }, { exempt: '1' } as never))).code,
      ).toBe(0);
      // UPDATE is not in the rule: relabelling n2 into the selector is an update.
      expect((await apply(configMap('n2', 'plain', { checked: 'sure' }))).code).toBe(0);
      // Another resource.
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'plain', labels: { checked: 'sure' } },
      };
      expect((await apply(secret)).code).toBe(0);
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'narrow']);
    });

    it('variables, oldObject on UPDATE and DELETE', async () => {
      await applyOk(
        policy('frozen', {
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [''],
                apiVersions: ['v1'],
                resources: ['configmaps'],
                operations: ['UPDATE', 'DELETE'],
              },
            ],
            objectSelector: { matchLabels: { frozen: 'true' } },
          },
          variables: [{ name: 'old', expression: 'oldObject.data.a' }],
          validations: [
            {
              expression: "request.operation == 'UPDATE' && object.data.a == variables.old",
              messageExpression: "request.operation + ': data.a was ' + variables.old",
            },
          ],
        }),
        binding('frozen', 'frozen', ['Deny']),
      );
      await applyOk(configMap('ice', 'plain', { frozen: 'true' }));
      const changed = await apply(configMap('ice', 'plain', { frozen: 'true' }, { a: '2' }));
      expect(changed.stderr).toContain('denied request: UPDATE: data.a was 1');
      const deleted = await kubectl(['-n', 'plain', 'delete', 'configmap', 'ice']);
      expect(deleted.stderr).toContain('denied request: DELETE: data.a was 1');
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'frozen']);
      expect((await kubectl(['-n', 'plain', 'delete', 'configmap', 'ice'])).code).toBe(0);
    });

    it('messageExpression that fails falls back to message, then to the expression', async () => {
      await applyOk(
        policy('fallback', {
          validations: [
            {
              expression: "object.metadata.name != 'fb'",
              messageExpression: 'object.nope',
              message: 'static message',
            },
            { expression: "object.metadata.name != 'fb'", messageExpression: '1' },
          ],
        }),
        binding('fallback', 'fallback', ['Warn']),
      );
      const result = await applyOk(configMap('fb', 'plain'));
      expect(warnings(result)).toEqual([
        "Warning: Validation failed for ValidatingAdmissionPolicy 'fallback' with binding 'fallback': static message",
        `Warning: Validation failed for ValidatingAdmissionPolicy 'fallback' with binding 'fallback': failed expression: object.metadata.name != 'fb'`,
      ]);
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'fallback']);
    });

    it('an expression that fails to evaluate follows failurePolicy', async () => {
      await applyOk(
        policy('fails', { validations: [{ expression: 'object.data.missing == "x"' }] }),
        binding('fails', 'fails', ['Deny']),
      );
      const failed = await apply(configMap('e1', 'plain'));
      expect(failed.stderr).toContain(
        `denied request: expression 'object.data.missing == "x"' resulted in error: `,
      );
      await applyOk(
        policy('fails', {
          failurePolicy: 'Ignore',
          validations: [{ expression: 'object.data.missing == "x"' }],
        }),
      );
      expect((await apply(configMap('e1', 'plain'))).code).toBe(0);
      await kubectl(['delete', 'validatingadmissionpolicybinding', 'fails']);
    });

    it('refuses what it cannot enforce, naming the field', async () => {
      const refused = await apply({
        ...policy('params', { validations: [{ expression: 'object.(' }] }),
        spec: {
          ...(policy('params', {}).spec as object),
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          validations: [{ expression: 'object.(' }],
        },
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        'spec.paramKind: Forbidden: policy parameters are not supported by kube-emulator',
      );
      expect(refused.stderr).toContain(
        'spec.validations[0].expression: Invalid value: "object.(": compilation failed: ERROR: ',
      );
      const both = await apply(binding('both', 'team-label', ['Deny', 'Warn']));
      expect(both.stderr).toContain(
        'spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn',
      );
    });
  },
);
