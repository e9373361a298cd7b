// SPDX-License-Identifier: Apache-2.0
/**
 * What the apiserver's create/update strategies and defaulters do to built-in objects: reset
 * status on create, defaults that clients read back, cluster IPs for services.
 */
import { type JsonObject, type KubeObject, type ResourceType, isMap } from '../types.js';
import { defaultJob } from './jobs.js';

/** Allocates service cluster IPs from 10.96.0.0/12, skipping ones in use. */
export function createIpAllocator(): { allocate(inUse: Set<string>): string } {
  let next = 1;
  return {
    allocate(inUse) {
      for (let i = 0; i < 1 << 20; i++) {
        const n = next++;
        const ip = `10.${96 + ((n >> 16) & 0x0f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
        if ((n & 0xff) !== 0 && !inUse.has(ip)) return ip;
      }
      return '10.96.0.1';
    },
  };
}

/** Resets fields the apiserver resets on create (status of most kinds). */
export function prepareForCreate(obj: KubeObject, type: ResourceType): void {
  if (type.crd) {
    if (type.hasStatus) delete obj.status;
    return;
  }
  // Workloads start with an empty status (their create strategies reset it).
  if ((type.group === 'apps' || type.group === 'batch') && type.hasStatus) {
    obj.status = {};
    return;
  }
  if (type.group !== '') return;
  switch (type.plural) {
    case 'pods':
      obj.status = { phase: 'Pending', qosClass: podQos(obj) };
      break;
    case 'services':
      obj.status = { loadBalancer: {} };
      break;
    case 'namespaces':
      obj.status = { phase: 'Active' };
      obj.spec = { finalizers: ['kubernetes'] };
      break;
    default:
      break;
  }
}

/** A container's resource requests and limits (empty when absent). */
function resourcesOf(c: JsonObject): { req: JsonObject; lim: JsonObject } {
  const res = isMap(c.resources) ? c.resources : {};
  return { req: isMap(res.requests) ? res.requests : {}, lim: isMap(res.limits) ? res.limits : {} };
}

/** Guaranteed: CPU and memory limits set, and requests (where given) equal to them. */
function guaranteedContainer(req: JsonObject, lim: JsonObject): boolean {
  return (
    Boolean(lim.cpu) &&
    Boolean(lim.memory) &&
    (!req.cpu || req.cpu === lim.cpu) &&
    (!req.memory || req.memory === lim.memory)
  );
}

function podQos(pod: KubeObject): string {
  const spec = isMap(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isMap) : [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const { req, lim } = resourcesOf(c);
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    if (!guaranteedContainer(req, lim)) guaranteed = false;
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

function defaultContainer(c: JsonObject): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    c.imagePullPolicy = c.image.endsWith(':latest') || !/:[^/]+$/.test(c.image) ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isMap(p)) p.protocol ??= 'TCP';
}

function defaultPod(obj: KubeObject): void {
  if (!isMap(obj.spec)) return;
  const spec = obj.spec;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  if (spec.serviceAccountName === undefined && spec.serviceAccount === undefined) {
    spec.serviceAccountName = 'default';
    spec.serviceAccount = 'default';
  }
  defaultContainers(spec);
}

function defaultContainers(spec: JsonObject): void {
  for (const list of ['containers', 'initContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) if (isMap(c)) defaultContainer(c);
  }
}

function defaultService(obj: KubeObject): void {
  if (!isMap(obj.spec)) obj.spec = {};
  const spec = obj.spec as JsonObject;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  spec.internalTrafficPolicy ??= 'Cluster';
  if (!Array.isArray(spec.ports)) return;
  for (const p of spec.ports) {
    if (!isMap(p)) continue;
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
}

/** `type: Opaque`, and `stringData` folded into base64 `data`. */
function defaultSecret(obj: KubeObject): void {
  obj.type ??= 'Opaque';
  if (!isMap(obj.stringData)) return;
  const data = isMap(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(obj.stringData))
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  obj.data = data;
  delete obj.stringData;
}

/** The defaulters of core/v1 kinds, by plural. */
const DEFAULTERS = new Map<string, (obj: KubeObject) => void>([
  ['pods', defaultPod],
  ['services', defaultService],
  ['secrets', defaultSecret],
  [
    'nodes',
    obj => {
      if (!isMap(obj.spec)) obj.spec = {};
    },
  ],
]);

/** Applies defaulting to a built-in object (create and update). */
export function applyBuiltinDefaults(obj: KubeObject, type: ResourceType): void {
  if (type.group === 'batch' && type.plural === 'jobs') return defaultJob(obj);
  if (type.group !== '') return;
  DEFAULTERS.get(type.plural)?.(obj);
}
