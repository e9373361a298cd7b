// SPDX-License-Identifier: Apache-2.0
// The EndpointSlice controller (kube-controller-manager's endpointslice-controller): for every
// Service with a selector, the pods it selects that have an IP become endpoints (address, ready,
// serving and terminating conditions, nodeName, zone, targetRef) in EndpointSlices labelled
// `kubernetes.io/service-name` and owned by the Service; ports are the Service's, each resolved
// against the pod (a named targetPort is looked up in its containers' ports), so pods that
// resolve differently go into different slices. A Service without endpoints keeps one empty
// slice. Services without a selector are left to whoever writes their slices (as the dev plane
// does for the daemon it runs as a host process).
import { isNotFound, resourcePath, PODS } from '@chaosplane/kube';
import type { IEndpoint } from 'kubernetes-models/discovery.k8s.io/v1/Endpoint';
import type { IEndpointPort } from 'kubernetes-models/discovery.k8s.io/v1/EndpointPort';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { ControllerContext } from './controllerContext.js';
import { createControllerLoop, type ControllerLoop, type SyncResult } from './controllerLoop.js';
import {
  controllerRef,
  objectKey,
  splitKey,
  type EndpointSlice,
  type Node,
  type Pod,
  type Service,
} from './objects.js';
import { canonicalJson } from './podTemplateHash.js';
import { isPodReady, isPodTerminal } from './podState.js';
import { NODES } from './scheduler.js';

/** The collections the controller reads and writes. */
export const SERVICES = { group: '', version: 'v1', plural: 'services' };
export const ENDPOINT_SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' };
/** The label naming a slice's Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The label naming who manages a slice, and this controller's value. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** Most endpoints in one slice (the controller's default). */
const MAX_ENDPOINTS_PER_SLICE = 100;

/** Starts the EndpointSlice controller's watches; `run` drives it. */
export function createEndpointSliceController(ctx: ControllerContext): ControllerLoop {
  const services = ctx.informers.get<Service>(resourcePath(SERVICES));
  const pods = ctx.informers.get<Pod>(resourcePath(PODS));
  const slices = ctx.informers.get<EndpointSlice>(resourcePath(ENDPOINT_SLICES));
  ctx.informers.get<Node>(resourcePath(NODES));
  // Slices created but not yet seen by the informer, per Service (the controller's
  // endpointSliceTracker): a sync before they show up would create them a second time.
  const created = new Map<string, Set<string>>();
  const loop = createControllerLoop({
    name: 'endpointslice',
    log: ctx.log,
    sync: (key, signal) => syncService({ ctx, created }, key, signal),
  });
  services.subscribe((svc, previous) => loop.enqueue(objectKey((svc ?? previous)!)));
  pods.subscribe((pod, previous) => {
    for (const svc of services.store.list()) {
      const selects = (p: Pod | undefined) =>
        p !== undefined && p.metadata.namespace === svc.metadata.namespace && selectsPod(svc, p);
      if (selects(pod) || selects(previous)) loop.enqueue(objectKey(svc));
    }
  });
  slices.subscribe((slice, previous) => {
    const s = (slice ?? previous)!;
    const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
      loop.enqueue(`${s.metadata.namespace}/${service}`);
  });
  return loop;
}

/** True when the Service has a selector and it matches the pod's labels. */
function selectsPod(svc: Service, pod: Pod): boolean {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The port a Service port reaches on a pod (FindPort); undefined when the pod has no such port. */
function findPort(pod: Pod, port: IServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter(c => c.restartPolicy === 'Always');
  const named = [...(pod.spec?.containers ?? []), ...sidecars]
    .flatMap(container => container.ports ?? [])
    .find(p => p.name === target && (p.protocol ?? 'TCP') === protocol);
  if (named) return named.containerPort;
  const numeric = Number(target);
  return Number.isInteger(numeric) && String(numeric) === target ? numeric : undefined;
}

/** The slice ports of one pod (getEndpointPorts). */
function endpointPorts(svc: Service, pod: Pod): IEndpointPort[] {
  const ports = svc.spec?.ports ?? [];
  const out: IEndpointPort[] = [];
  for (const port of ports) {
    const number = findPort(pod, port);
    if (number === undefined) continue;
    out.push({
      name: port.name ?? '',
      port: number,
      protocol: port.protocol ?? 'TCP',
      ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    });
  }
  return out;
}

/** Where a pod runs, as its endpoint says: nodeName and the node's zone. */
function placementOf(ctx: ControllerContext, pod: Pod): { nodeName?: string; zone?: string } {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return {};
  const node = ctx.informers.get<Node>(resourcePath(NODES)).store.get(nodeName);
  const zone = node?.metadata.labels?.['topology.kubernetes.io/zone'];
  return zone ? { nodeName, zone } : { nodeName };
}

/** The pod's IPv4 address (the slices are IPv4). */
function addressOf(pod: Pod): string {
  const ips = pod.status?.podIPs?.map(ip => ip.ip) ?? [pod.status!.podIP!];
  return ips.find(ip => !ip.includes(':')) ?? ips[0]!;
}

/** One pod as an endpoint (podToEndpoint). */
function endpointOf(ctx: ControllerContext, svc: Service, pod: Pod): IEndpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const hostname =
    pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name ? { hostname: pod.spec.hostname } : {};
  return {
    addresses: [addressOf(pod)],
    conditions: { ready, serving, terminating },
    ...hostname,
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
    ...placementOf(ctx, pod),
  };
}

/** The endpoints of a Service grouped by the ports they resolve to (the key is their JSON). */
function desiredGroups(
  ctx: ControllerContext,
  svc: Service,
): Map<string, { ports: IEndpointPort[]; endpoints: IEndpoint[] }> {
  const groups = new Map<string, { ports: IEndpointPort[]; endpoints: IEndpoint[] }>();
  const pods = ctx.informers
    .get<Pod>(resourcePath(PODS))
    .store.list()
    .filter(p => p.metadata.namespace === svc.metadata.namespace && selectsPod(svc, p))
    .filter(p => !isPodTerminal(p) && Boolean(p.status?.podIP || p.status?.podIPs?.length))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of pods) {
    const headless = svc.spec?.clusterIP === 'None' && (svc.spec?.ports ?? []).length === 0;
    const ports = headless ? [] : endpointPorts(svc, pod);
    const key = canonicalJson(ports);
    const group = groups.get(key) ?? { ports, endpoints: [] };
    group.endpoints.push(endpointOf(ctx, svc, pod));
    groups.set(key, group);
  }
  return groups;
}

/** Labels of the Service's slices: its own (but the reserved ones) and the controller's. */
function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {}))
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL) labels[k] = v;
  if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return { ...labels, [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY };
}

/** What the syncs of the controller share. */
interface SliceSync {
  ctx: ControllerContext;
  /** Service key → names of slices created and not yet seen by the informer. */
  created: Map<string, Set<string>>;
}

/** Syncs the slices of one Service. */
async function syncService(sync: SliceSync, key: string, signal: AbortSignal): Promise<SyncResult> {
  const { ctx } = sync;
  const svc = ctx.informers.get<Service>(resourcePath(SERVICES)).store.get(key);
  const selector = svc?.spec?.selector;
  if (!svc || !selector || Object.keys(selector).length === 0) {
    sync.created.delete(key);
    return;
  }
  const { namespace } = splitKey(key);
  const store = ctx.informers.get<EndpointSlice>(resourcePath(ENDPOINT_SLICES)).store;
  const pending = [...(sync.created.get(key) ?? [])].filter(name => !store.get(`${namespace}/${name}`));
  if (pending.length > 0) return { requeueAfterMs: 100 };
  sync.created.delete(key);
  const existing = store
    .list()
    .filter(
      s =>
        s.metadata.namespace === namespace &&
        s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name &&
        s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY &&
        !s.metadata.deletionTimestamp,
    )
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const wanted: { ports: IEndpointPort[]; endpoints: IEndpoint[] }[] = [];
  for (const group of desiredGroups(ctx, svc).values())
    for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE)
      wanted.push({ ports: group.ports, endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  // The placeholder: a Service that selects nothing still has one (empty) slice.
  if (wanted.length === 0) wanted.push({ ports: [], endpoints: [] });
  const names = await reconcileSlices(ctx, svc, existing, wanted, signal);
  if (names.length > 0) sync.created.set(key, new Set(names));
  return undefined;
}

/**
 * Writes the wanted slices: an existing slice with the same ports is reused first, then any
 * other existing one, then new ones are created; existing slices left over are deleted.
 */
async function reconcileSlices(
  ctx: ControllerContext,
  svc: Service,
  existing: EndpointSlice[],
  wanted: { ports: IEndpointPort[]; endpoints: IEndpoint[] }[],
  signal: AbortSignal,
): Promise<string[]> {
  const free = [...existing];
  const takeSame = (ports: IEndpointPort[]) => {
    const same = free.findIndex(s => canonicalJson(s.ports ?? []) === canonicalJson(ports));
    return same >= 0 ? free.splice(same, 1)[0] : undefined;
  };
  // Slices whose ports match first, so a change of one group never rewrites another's.
  const assigned = wanted.map(w => takeSame(w.ports));
  const collection = resourcePath(ENDPOINT_SLICES, svc.metadata.namespace);
  const labels = sliceLabels(svc);
  const ownerReferences = [controllerRef(svc, 'v1', 'Service')];
  const writes: Promise<unknown>[] = [];
  const created: Promise<EndpointSlice>[] = [];
  for (const [i, { ports, endpoints }] of wanted.entries()) {
    const slice = assigned[i] ?? free.shift();
    const body = { addressType: 'IPv4', endpoints, ports };
    if (!slice) {
      const metadata = {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels,
        ownerReferences,
      };
      created.push(
        ctx.kube.request<EndpointSlice>('POST', collection, {
          body: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, ...body },
          signal,
        }),
      );
      continue;
    }
    const current = {
      addressType: slice.addressType,
      endpoints: slice.endpoints ?? [],
      ports: slice.ports ?? [],
    };
    const sameLabels = canonicalJson(slice.metadata.labels ?? {}) === canonicalJson(labels);
    if (sameLabels && canonicalJson(current) === canonicalJson(body)) continue;
    writes.push(
      ctx.kube.request('PUT', `${collection}/${slice.metadata.name}`, {
        body: { ...slice, metadata: { ...slice.metadata, labels }, ...body },
        signal,
      }),
    );
  }
  for (const slice of free)
    writes.push(
      ctx.kube
        .request('DELETE', `${collection}/${slice.metadata.name}`, { signal })
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        }),
    );
  await Promise.all(writes);
  return (await Promise.all(created)).map(slice => slice.metadata.name);
}
