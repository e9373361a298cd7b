// SPDX-License-Identifier: Apache-2.0
// The orchestration controllers as an engine extension: per term, one watched collection per
// resource (Schedules, Workflows, WorkflowNodes, StatusChecks, task pods, and every chaos kind),
// and the controllers, each fed by the changes that concern it.
import type { EngineExtension, ExtensionContext } from '@chaosplane/engine';
import { PODS, resourcePath, type KubeConnection, type ResourceType } from '@chaosplane/kube';
import { DEFAULT_CHAOS_GROUP, DEFAULT_CHAOS_VERSION } from '@chaosplane/sdk/framework';
import { LABEL_CONTROLLED_BY } from './api/constants.js';
import type { KubeObject, Schedule, StatusCheck, Workflow, WorkflowNode } from './api/objects.js';
import { createChaosKindTable } from './kinds/chaosKindTable.js';
import { createController, type Controller } from './runtime/createController.js';
import { keyOfObject, type Caches, type OrchestrationDeps } from './runtime/deps.js';
import { createKubeWrites } from './runtime/kubeWrites.js';
import { createResourceCache, type ResourceCache } from './runtime/resourceCache.js';
import { reconcileSchedule, scheduleEvents } from './schedule/reconcileSchedule.js';
import { createOrchestrationValidator } from './validation/createValidator.js';
import { wireWorkflow } from './workflow/wireWorkflow.js';
import { wireStatusCheck } from './statuscheck/wireStatusCheck.js';

/** Options of {@link createOrchestration}. */
export interface OrchestrationOptions {
  /** The group of the orchestration kinds: the chaos kinds' (`chaos-mesh.org`) by default. */
  group?: string;
  /** HTTP for status checks; the global fetch by default. */
  fetch?: typeof fetch;
  /** Reads a task pod's container log; the API server's `pods/log` by default. */
  readLog?: OrchestrationDeps['readLog'];
}

/** The resource type of an orchestration kind. */
export const orchestrationResource = (plural: string, group = DEFAULT_CHAOS_GROUP): ResourceType => ({
  group,
  version: DEFAULT_CHAOS_VERSION,
  plural,
});

/** The watched collections of one term. */
function createCaches(context: ExtensionContext, group: string): Caches {
  const base = {
    kube: context.kube,
    log: context.log,
    ...(context.namespace ? { namespace: context.namespace } : {}),
  };
  return {
    schedules: createResourceCache<Schedule>({ ...base, type: orchestrationResource('schedules', group) }),
    workflows: createResourceCache<Workflow>({ ...base, type: orchestrationResource('workflows', group) }),
    nodes: createResourceCache<WorkflowNode>({
      ...base,
      type: orchestrationResource('workflownodes', group),
    }),
    statusChecks: createResourceCache<StatusCheck>({
      ...base,
      type: orchestrationResource('statuschecks', group),
    }),
    pods: createResourceCache({ ...base, type: PODS, labelSelector: LABEL_CONTROLLED_BY }),
    chaos: new Map(context.kinds.map(kind => [kind.kind, createResourceCache({ ...base, type: kind })])),
  };
}

/** Reads any object by apiVersion and kind (Kubernetes condition checks), through discovery. */
function objectReader(kube: KubeConnection): OrchestrationDeps['getObject'] {
  return async (apiVersion, kind, namespace, name, signal) => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = await kube.request<{ resources: { name: string; kind: string }[] }>('GET', base, { signal });
    const resource = list.resources.find(r => r.kind === kind && !r.name.includes('/'));
    if (!resource) return undefined;
    return kube
      .request<KubeObject>(
        'GET',
        resourcePath({ group: group!, version: version!, plural: resource.name }, namespace, name),
        {
          signal,
        },
      )
      .catch((error: unknown) => {
        if ((error as { kind?: string }).kind === 'not-found') return undefined;
        throw error;
      });
  };
}

/** The deps of one term. */
function createDeps(context: ExtensionContext, options: OrchestrationOptions): OrchestrationDeps {
  const group = options.group ?? context.kinds[0]?.group ?? DEFAULT_CHAOS_GROUP;
  const table = createChaosKindTable(context.kinds);
  const kube = context.kube;
  // One recorder per component for the whole term (each keeps its own aggregation of repeats).
  const recorders = new Map<string, ReturnType<ExtensionContext['events']>>();
  const events = (component: string) => {
    let recorder = recorders.get(component);
    if (!recorder) {
      recorder = context.events(component);
      recorders.set(component, recorder);
    }
    return recorder;
  };
  return {
    clock: context.clock,
    table,
    validator: createOrchestrationValidator(table),
    caches: createCaches(context, group),
    writes: createKubeWrites(kube),
    apiVersion: `${group}/${DEFAULT_CHAOS_VERSION}`,
    events,
    readLog:
      options.readLog ??
      ((namespace, pod, container, signal) =>
        kube.request<string>('GET', `${resourcePath(PODS, namespace, pod)}/log`, {
          query: { container },
          signal,
        })),
    fetch: options.fetch ?? fetch,
    getObject: objectReader(kube),
  };
}

/** The schedule controller, fed by Schedules and by the chaos objects and Workflows they spawn. */
function wireSchedule(deps: OrchestrationDeps, context: ExtensionContext): Controller {
  const events = scheduleEvents(deps);
  const controller = createController({
    name: 'schedule',
    clock: deps.clock,
    log: context.log,
    stopping: context.stopping,
    reconcile: (key, signal) => reconcileSchedule(deps, events, key, signal),
  });
  deps.caches.schedules.onChange(obj => controller.enqueue(keyOfObject(obj)));
  const byOwner = (obj: KubeObject) => {
    for (const ref of obj.metadata.ownerReferences ?? [])
      if (ref.kind === 'Schedule') controller.enqueue(`${obj.metadata.namespace}/${ref.name}`);
  };
  for (const cache of deps.caches.chaos.values()) cache.onChange(byOwner);
  deps.caches.workflows.onChange(byOwner);
  return controller;
}

/** Every cache of a term, for running them. */
function allCaches(caches: Caches): ResourceCache[] {
  return [
    caches.schedules,
    caches.workflows,
    caches.nodes,
    caches.statusChecks,
    caches.pods,
    ...caches.chaos.values(),
  ] as ResourceCache[];
}

/**
 * The orchestration kinds as an engine extension: hand it to the engine's `extensions` (the
 * operator does). The CRDs must be installed (see orchestrationCrds).
 */
export function createOrchestration(options: OrchestrationOptions = {}): EngineExtension {
  return {
    name: 'orchestration',
    start(context) {
      const deps = createDeps(context, options);
      const controllers = [
        wireSchedule(deps, context),
        ...wireWorkflow(deps, context),
        wireStatusCheck(deps, context),
      ];
      return {
        async run(signal) {
          const stopCaches = new AbortController();
          const caches = allCaches(deps.caches);
          const running = caches.map(cache => cache.run(stopCaches.signal));
          try {
            // Controllers start from a full picture: nothing is decided on a partial list.
            await Promise.race([
              Promise.all(caches.map(cache => cache.synced())),
              new Promise(resolve => signal.addEventListener('abort', resolve, { once: true })),
            ]);
            if (!signal.aborted) await Promise.all(controllers.map(c => c.run(signal, context.signal)));
          } finally {
            stopCaches.abort();
            await Promise.allSettled(running);
          }
        },
      };
    },
  };
}
