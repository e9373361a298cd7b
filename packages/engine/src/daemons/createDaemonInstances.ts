// SPDX-License-Identifier: Apache-2.0
// Which daemon instance serves each node, from the EndpointSlices of the daemon's headless
// Service (one informer, no per-call lists). A daemon stopped gracefully (its pod deleted, a
// DaemonSet rolling update) recovers every fault it tracked before it exits; the instance that
// replaces it knows nothing of them. The engine compares the instance a record's apply went to
// with the node's current one, and re-applies when they differ (see runRecords' reapply).
import { createInformer, createListWatch, type KubeConnection } from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';

/** Where the daemons' endpoints are: the namespace and name of their headless Service. */
export interface DaemonEndpointsOptions {
  /** Namespace of the daemon's Service. */
  namespace: string;
  /** Name of the headless Service (label kubernetes.io/service-name); `chaosplane-daemon` by default. */
  serviceName?: string;
}

/** The daemon instance of each node, kept by a watch. */
export interface DaemonInstances {
  /**
   * The ready daemon instance on `nodeName`: its endpoint's `targetRef.uid` (the pod's uid), else
   * `targetRef` namespace/name, else its address; undefined while the node has no ready daemon.
   */
  instanceOn(nodeName: string): string | undefined;
  /** Resolves after the first list. */
  synced(): Promise<void>;
  /** Lists and watches until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/** The fields of a discovery.k8s.io/v1 EndpointSlice read here. */
interface EndpointSlice {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  endpoints?: {
    addresses?: string[];
    nodeName?: string;
    conditions?: { ready?: boolean };
    targetRef?: { namespace?: string; name?: string; uid?: string };
  }[];
}

/** The identity of a ready endpoint: the pod's uid, else its name, else its address. */
function identityOf(endpoint: NonNullable<EndpointSlice['endpoints']>[number]): string | undefined {
  const ref = endpoint.targetRef;
  if (ref?.uid) return ref.uid;
  if (ref?.name) return `${ref.namespace ?? ''}/${ref.name}`;
  return endpoint.addresses?.[0];
}

/** Node name → identity of its first ready daemon endpoint, over every slice. */
function instancesOf(slices: readonly EndpointSlice[]): Map<string, string> {
  const byNode = new Map<string, string>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      // Kubernetes: an unset `ready` is to be read as ready.
      if (!endpoint.nodeName || endpoint.conditions?.ready === false || byNode.has(endpoint.nodeName))
        continue;
      const identity = identityOf(endpoint);
      if (identity !== undefined) byNode.set(endpoint.nodeName, identity);
    }
  }
  return byNode;
}

/**
 * Watches the daemon Service's EndpointSlices and calls `onChange(node, previous, current)`
 * whenever the ready daemon instance of a node changes (appears, goes, or is another pod). The
 * first list only sets what is known: it reports nothing.
 */
export function createDaemonInstances(
  kube: KubeConnection,
  options: DaemonEndpointsOptions,
  onChange: (nodeName: string, previous: string | undefined, current: string | undefined) => void,
  log: Logger,
): DaemonInstances {
  const serviceName = options.serviceName ?? 'chaosplane-daemon';
  const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/endpointslices`;
  let instances = new Map<string, string>();
  let listed = false;
  const informer = createInformer<EndpointSlice>({
    source: createListWatch<EndpointSlice>(kube, path, {
      query: { labelSelector: `kubernetes.io/service-name=${serviceName}` },
    }),
    resource: 'endpointslices',
    log,
    onChange: () => {
      const next = instancesOf(informer.list());
      const before = instances;
      instances = next;
      if (!listed) return;
      for (const node of new Set([...before.keys(), ...next.keys()])) {
        if (before.get(node) !== next.get(node)) onChange(node, before.get(node), next.get(node));
      }
    },
  });
  void informer.synced().then(() => {
    instances = instancesOf(informer.list());
    listed = true;
  });
  return {
    instanceOn: nodeName => instances.get(nodeName),
    synced: () => informer.synced(),
    run: signal => informer.run(signal),
  };
}
