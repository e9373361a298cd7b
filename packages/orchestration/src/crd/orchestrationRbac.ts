// SPDX-License-Identifier: Apache-2.0
// What Schedule, Workflow and StatusCheck add to the operator's access, generated from the chaos
// kinds loaded with them: their own four kinds (watched, written, their status), creating and
// deleting the chaos objects they orchestrate by name (never `chaos-mesh.org/*`, which would
// include Chaos Mesh kinds no plugin loads), the pods of Task templates and their logs, and the
// workloads a Kubernetes StatusCheck reads.
import type { ClusterRoleObject } from '@chaosplane/engine';
import type { ChaosKind } from '@chaosplane/sdk';

/** The resources of the orchestration kinds. */
export const ORCHESTRATION_PLURALS = ['schedules', 'statuschecks', 'workflownodes', 'workflows'] as const;

/** The ClusterRole the orchestration kinds need beside the chaos kinds' own (aggregated into the operator's). */
export function orchestrationRbac(kinds: readonly ChaosKind[]): ClusterRoleObject {
  const group = kinds[0]?.group ?? 'chaos-mesh.org';
  const chaosPlurals = kinds
    .filter(k => k.group === group)
    .map(k => k.plural)
    .sort();
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: 'chaosplane-operator-orchestration',
      labels: {
        'app.kubernetes.io/part-of': 'chaosplane',
        'rbac.chaosplane.io/aggregate-to-operator': 'true',
      },
    },
    rules: [
      {
        apiGroups: [group],
        resources: [...ORCHESTRATION_PLURALS],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: [group],
        resources: ORCHESTRATION_PLURALS.map(p => `${p}/status`),
        verbs: ['get', 'update', 'patch'],
      },
      // Schedules and workflows spawn chaos objects and delete them when done.
      { apiGroups: [group], resources: chaosPlurals, verbs: ['create', 'delete'] },
      // Task templates run a pod (garbage collection deletes it with its node) and read its log.
      { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      // Kubernetes condition checks read the object they name; Deployments' Available is the common one.
      { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'statefulsets'], verbs: ['get'] },
    ],
  };
}
