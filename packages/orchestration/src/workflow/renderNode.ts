// SPDX-License-Identifier: Apache-2.0
// A template rendered as a WorkflowNode (Chaos Mesh's new_node.go): labels, owner, the template's
// parts, and absolute start and deadline times. The name is `<template>-xxxxx` from a seed
// (the parent's uid and the child's place), so a node is created once whatever happens.
import { ChaosplaneError, parseDuration } from '@chaosplane/sdk';
import { FOREGROUND_DELETION, LABEL_CONTROLLED_BY, LABEL_WORKFLOW } from '../api/constants.js';
import type { KubeObject, Template, Workflow, WorkflowNode } from '../api/objects.js';
import { rfc3339, type OrchestrationDeps } from '../runtime/deps.js';
import { generatedName } from '../runtime/generatedName.js';
import { controllerReference } from '../runtime/ownerReference.js';

/** The template `name` of a workflow; throws Chaos Mesh's error when there is none. */
export function templateOf(workflow: Workflow, name: string): Template {
  const template = workflow.spec?.templates.find(t => t.name === name);
  if (!template)
    throw new ChaosplaneError(
      'invalid',
      `workflow ${workflow.metadata.name} do not contains template called ${name}`,
    );
  return template;
}

/** The node of `template` under `owner` (the workflow, for the entry node; else the parent node). */
export function renderNode(
  deps: OrchestrationDeps,
  workflow: Workflow,
  template: Template,
  owner: KubeObject,
  seed: string,
): WorkflowNode {
  const now = deps.clock.now();
  const { name: _name, templateType, deadline, ...parts } = template;
  const startTime = rfc3339(now);
  return {
    apiVersion: deps.apiVersion,
    kind: 'WorkflowNode',
    metadata: {
      name: generatedName(template.name, seed),
      namespace: workflow.metadata.namespace!,
      labels: {
        [LABEL_CONTROLLED_BY]: owner.metadata.name ?? '',
        [LABEL_WORKFLOW]: workflow.metadata.name ?? '',
      },
      ownerReferences: [controllerReference(owner)],
      finalizers: [FOREGROUND_DELETION],
    },
    spec: {
      ...structuredClone(parts),
      templateName: template.name,
      workflowName: workflow.metadata.name ?? '',
      type: templateType,
      startTime,
      ...(deadline ? { deadline: rfc3339(Date.parse(startTime) + parseDuration(deadline)) } : {}),
    },
  };
}
