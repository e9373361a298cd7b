// SPDX-License-Identifier: Apache-2.0
// A 403 from the apiserver's RBAC authorizer becomes an error that names the rule to grant.
import { describe, expect, it } from '@jest/globals';
import { forbiddenHint, kubeApiError } from '../src/kubeErrors.js';

const USER = 'system:serviceaccount:chaosplane:chaosplane-operator';

describe('kubeApiError', () => {
  it('adds the RBAC rule to grant to a namespaced 403', () => {
    const error = kubeApiError('DELETE', '/api/v1/namespaces/team-a/pods/web-0', 403, {
      reason: 'Forbidden',
      message: `pods "web-0" is forbidden: User "${USER}" cannot delete resource "pods" in API group "" in the namespace "team-a"`,
    });
    expect(error.kind).toBe('internal');
    expect(error.message).toBe(
      `DELETE /api/v1/namespaces/team-a/pods/web-0: 403 pods "web-0" is forbidden: User "${USER}" cannot delete resource "pods" in API group "" in the namespace "team-a"; ` +
        'RBAC: grant the rule {apiGroups: [""], resources: ["pods"], verbs: ["delete"]} in a Role or ClusterRole bound in namespace "team-a" (deploy/rbac, or the plugin\'s aggregated role)',
    );
  });

  it('names a ClusterRoleBinding for a cluster-scope 403, and keeps subresources', () => {
    expect(
      forbiddenHint(
        `podchaos.chaos-mesh.org "x" is forbidden: User "${USER}" cannot patch resource "podchaos/status" in API group "chaos-mesh.org" at the cluster scope`,
      ),
    ).toBe(
      'RBAC: grant the rule {apiGroups: ["chaos-mesh.org"], resources: ["podchaos/status"], verbs: ["patch"]} in a ClusterRole bound with a ClusterRoleBinding (deploy/rbac, or the plugin\'s aggregated role)',
    );
  });

  it('leaves other failures as they are', () => {
    expect(forbiddenHint('forbidden: not an RBAC denial')).toBeUndefined();
    expect(kubeApiError('GET', '/api/v1/nodes', 404, { message: 'nodes "n" not found' }).message).toBe(
      'GET /api/v1/nodes: 404 nodes "n" not found',
    );
  });
});
