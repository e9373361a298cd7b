// SPDX-License-Identifier: Apache-2.0
// The CRDs of Schedule, Workflow, WorkflowNode and StatusCheck, generated from the loaded chaos
// kinds (each embeds under its field), with Chaos Mesh's names, short names and subresources:
// Schedule has no status subresource (its controllers replace the whole object), the others do;
// none has printer columns, so `kubectl get` shows NAME and AGE as with Chaos Mesh.
import type { TSchema } from '@sinclair/typebox';
import {
  structuralViolations,
  toKubernetesSchema,
  type CustomResourceDefinitionObject,
  type JsonSchema,
} from '@chaosplane/engine';
import { ChaosplaneError } from '@chaosplane/sdk';
import { DEFAULT_CHAOS_GROUP } from '@chaosplane/sdk/framework';
import {
  scheduleSpecSchema,
  scheduleStatusSchema,
  statusCheckSpecSchema,
  statusCheckStatusSchema,
  workflowNodeSpecSchema,
  workflowNodeStatusSchema,
  workflowSpecSchema,
  workflowStatusSchema,
} from '../api/schemas.js';
import type { ChaosKindTable } from '../kinds/chaosKindTable.js';

/** What one orchestration CRD is made of. */
interface CrdParts {
  kind: string;
  plural: string;
  shortNames?: string[];
  spec: TSchema;
  status: TSchema;
  statusSubresource: boolean;
  immutableSpec?: boolean;
  description: string;
}

/** A schema for Kubernetes: kept-as-is objects lose `additionalProperties` (structural schemas refuse it beside properties). */
function kubernetesSchema(schema: TSchema): JsonSchema {
  const plain = toKubernetesSchema(schema);
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as JsonSchema;
    if (record['x-kubernetes-preserve-unknown-fields'] === true) delete record['additionalProperties'];
    for (const value of Object.values(record)) {
      if (Array.isArray(value)) value.forEach(visit);
      else visit(value);
    }
  };
  visit(plain);
  return plain;
}

function crdOf(parts: CrdParts, group: string): CustomResourceDefinitionObject {
  const spec = kubernetesSchema(parts.spec);
  if (parts.immutableSpec)
    spec['x-kubernetes-validations'] = [{ rule: 'self == oldSelf', message: 'Cannot update chaos spec' }];
  const crd: CustomResourceDefinitionObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${parts.plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'chaosplane' } },
    spec: {
      group,
      names: {
        kind: parts.kind,
        listKind: `${parts.kind}List`,
        plural: parts.plural,
        singular: parts.kind.toLowerCase(),
        ...(parts.shortNames ? { shortNames: parts.shortNames } : {}),
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          ...(parts.statusSubresource ? { subresources: { status: {} } } : {}),
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: parts.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status: kubernetesSchema(parts.status),
              },
            },
          },
        },
      ],
    },
  };
  const violations = structuralViolations(crd.spec.versions[0]!.schema.openAPIV3Schema);
  if (violations.length > 0)
    throw new ChaosplaneError(
      'internal',
      `the ${parts.kind} CRD is not structural: ${violations[0]!.field}: ${violations[0]!.message}`,
    );
  return crd;
}

/** The four CRDs for the chaos kinds of `table`, in the chaos kinds' group (Chaos Mesh's by default). */
export function orchestrationCrds(
  table: ChaosKindTable,
  group: string = DEFAULT_CHAOS_GROUP,
): CustomResourceDefinitionObject[] {
  return [
    crdOf(
      {
        kind: 'Schedule',
        plural: 'schedules',
        spec: scheduleSpecSchema(table),
        status: scheduleStatusSchema(),
        statusSubresource: false,
        description: 'Schedule creates a chaos object (or a Workflow) at every tick of a cron schedule.',
      },
      group,
    ),
    crdOf(
      {
        kind: 'Workflow',
        plural: 'workflows',
        shortNames: ['wf'],
        spec: workflowSpecSchema(table),
        status: workflowStatusSchema(),
        statusSubresource: true,
        description: 'Workflow runs chaos, checks, tasks and pauses in series and in parallel.',
      },
      group,
    ),
    crdOf(
      {
        kind: 'WorkflowNode',
        plural: 'workflownodes',
        shortNames: ['wfn'],
        spec: workflowNodeSpecSchema(table),
        status: workflowNodeStatusSchema(),
        statusSubresource: true,
        description: 'WorkflowNode is one running template of a Workflow (created by the operator).',
      },
      group,
    ),
    crdOf(
      {
        kind: 'StatusCheck',
        plural: 'statuschecks',
        spec: statusCheckSpecSchema(),
        status: statusCheckStatusSchema(),
        statusSubresource: true,
        immutableSpec: true,
        description:
          'StatusCheck probes the system under test (HTTP, a Prometheus query, a Kubernetes condition).',
      },
      group,
    ),
  ];
}
