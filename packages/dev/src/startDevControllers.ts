// SPDX-License-Identifier: Apache-2.0
// The dev control plane's controller manager: what kube-controller-manager and kube-scheduler
// do in a cluster, to the extent deploy/ and everyday kubectl need. Deployments make
// ReplicaSets, ReplicaSets and DaemonSets make pods, the scheduler binds pods to nodes, and the
// EndpointSlice controller publishes the pods behind Services. kube-emulator stores the objects;
// these controllers act on them through the API, over @chaosplane/kube's informers and the
// engine's work queue, like any client.
import { setMaxListeners } from 'node:events';
import type { KubeConnection } from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';
import { createControllerContext } from './controllers/controllerContext.js';
import type { ControllerLoop } from './controllers/controllerLoop.js';
import { createDaemonSetController } from './controllers/daemonSetController.js';
import { createDeploymentController } from './controllers/deploymentController.js';
import { createEndpointSliceController } from './controllers/endpointSliceController.js';
import { createReplicaSetController } from './controllers/replicaSetController.js';
import { createScheduler } from './controllers/scheduler.js';
import { createSharedInformers } from './controllers/sharedInformers.js';

/** The controllers {@link startDevControllers} can run. */
export type DevControllerName = 'deployment' | 'replicaset' | 'daemonset' | 'scheduler' | 'endpointslice';

/** Every controller, in the order they start. */
export const DEV_CONTROLLERS: readonly DevControllerName[] = [
  'deployment',
  'replicaset',
  'daemonset',
  'scheduler',
  'endpointslice',
];

/** Options of {@link startDevControllers}. */
export interface DevControllersOptions {
  /** The API server (the caller closes it). */
  kube: KubeConnection;
  /** Where the controllers' lines go (under `component: controllers`). */
  log: Logger;
  /** Stops every controller when aborted. */
  signal: AbortSignal;
  /** Which controllers run; all of {@link DEV_CONTROLLERS} by default. */
  controllers?: readonly DevControllerName[];
}

/** Running dev controllers. */
export interface DevControllers {
  /** The controllers running. */
  names: readonly DevControllerName[];
  /** Stops the controllers; resolves once every sync in flight and every watch has ended. */
  stop(): Promise<void>;
}

const FACTORIES = {
  deployment: createDeploymentController,
  replicaset: createReplicaSetController,
  daemonset: createDaemonSetController,
  scheduler: createScheduler,
  endpointslice: createEndpointSliceController,
} satisfies Record<DevControllerName, unknown>;

/** Starts the controllers; resolves once their informers have listed everything. */
export async function startDevControllers(options: DevControllersOptions): Promise<DevControllers> {
  const names = options.controllers ?? DEV_CONTROLLERS;
  const stop = new AbortController();
  // One listener per informer and per controller loop, each started once: more than the 10
  // Node's leak warning expects of one signal, and no leak.
  setMaxListeners(100, stop.signal);
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const log = options.log.child({ component: 'controllers' });
  const informers = createSharedInformers(options.kube, log);
  const ctx = createControllerContext(options.kube, informers, log, stop.signal);
  const loops: ControllerLoop[] = names.map(name => FACTORIES[name](ctx));
  const informing = informers.run(stop.signal);
  // Workers start once every cache is full (WaitForCacheSync): a ReplicaSet synced before the
  // pods are listed would create its replicas again.
  await Promise.race([informers.synced(), informing]);
  const working = Promise.all(loops.map(loop => loop.run(stop.signal)));
  return {
    names,
    async stop() {
      options.signal.removeEventListener('abort', onAbort);
      stop.abort();
      await Promise.all([working, informing]);
    },
  };
}
