// SPDX-License-Identifier: Apache-2.0
// An in-process control plane for the orchestration tests: the kube-emulator and the engine on
// one manual clock, the chaos kinds' and the orchestration CRDs, chaos implementations that
// record their calls (no daemon: what the orchestration decides is under test here; the test
// kit's tests run the real plugins), and a permissive stand-in StressChaos kind (one synthetic
// target, any fields) so Chaos Mesh's workflow examples apply unchanged in this daemonless plane.
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { createEngine, createManualClock, generateCrd, type ManualClock } from '@chaosplane/engine';
import { createKubeConnection, isNotFound, resourcePath, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import {
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  Type,
  definePlugin,
  type ChaosImpl,
  type ChaosKind,
} from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';
import { createLogger } from '@chaosplane/service';
import { createOrchestration } from '../../src/createOrchestration.js';
import { createChaosKindTable } from '../../src/kinds/chaosKindTable.js';
import { orchestrationCrds } from '../../src/crd/orchestrationCrds.js';
import { KINDS } from './kinds.js';

/** A permissive stand-in for Chaos Mesh's StressChaos (the bundled plugin is tested in its own package). */
export const stressChaosStandIn: ChaosKind = definePlugin({
  kind: {
    kind: 'StressChaos',
    plural: 'stresschaos',
    spec: Type.Object(
      {
        mode: Type.String(),
        selector: Type.Object(
          {},
          { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
        ),
      },
      { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true },
    ),
    selectors: () => ({ '.': { kind: 'synthetic', spec: {} } }),
  },
}).kind;

/**
 * A kind's CRD without `additionalProperties` beside `x-kubernetes-preserve-unknown-fields` (the
 * stand-in's permissive schema): kube-emulator refuses a boolean there, as structural schemas do.
 */
function kubernetesCrd(kind: ChaosKind) {
  const crd = generateCrd(kind);
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record['x-kubernetes-preserve-unknown-fields'] === true) delete record['additionalProperties'];
    Object.values(record).forEach(visit);
  };
  visit(crd);
  return crd;
}

/** One apply or recover of a chaos object. */
export interface ChaosCall {
  op: 'apply' | 'recover';
  kind: string;
  name: string;
  at: number;
}

/** Selects one synthetic target per selector, whatever its kind. */
const oneTarget: SelectorRegistry = {
  kinds: () => ['synthetic', 'pod', 'container'],
  select: (_ref, context) => Promise.resolve([{ id: `${context.namespace}/target` }]),
  resolve: (kind, target) => Promise.resolve({ ...target, kind } as never),
};

/** A running plane. */
export interface Plane {
  clock: ManualClock;
  emulator: KubeEmulator;
  kube: KubeConnection;
  calls: ChaosCall[];
  /** Creates every object of a YAML manifest in `namespace` (default `default`). */
  apply(yaml: string, namespace?: string): Promise<void>;
  /** Creates one object. */
  create(obj: Record<string, unknown>, namespace?: string): Promise<Record<string, unknown>>;
  /** Reads an object of the chaos-mesh.org group; undefined when absent. */
  get<T = Record<string, any>>(plural: string, name: string, namespace?: string): Promise<T | undefined>;
  /** Lists objects of the chaos-mesh.org group, optionally by label. */
  list<T = Record<string, any>>(
    plural: string,
    labels?: Record<string, string>,
    namespace?: string,
  ): Promise<T[]>;
  /** Events about an object: `reason: message`. */
  events(name: string, namespace?: string): Promise<{ type: string; reason: string; message: string }[]>;
  /** Merge-patches an object. */
  patch(plural: string, name: string, patch: object, namespace?: string): Promise<void>;
  remove(plural: string, name: string, namespace?: string): Promise<void>;
  /** Stops the engine (gracefully). */
  stopEngine(): Promise<void>;
  /** Starts the engine again (after stopEngine). */
  startEngine(): void;
  stop(): Promise<void>;
}

const group = (plural: string) => ({ group: 'chaos-mesh.org', version: 'v1alpha1', plural });

/** Status checks may reach this machine only (tests never send traffic elsewhere). */
export const loopbackFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    return Promise.reject(
      new Error(`dial tcp ${url.host}: connect: network is unreachable (tests stay on loopback)`),
    );
  return fetch(input, init);
};

/**
 * Task pods' logs, as the tests set them (the emulator runs no containers; the real pods/log
 * reader runs in testKit.system.test.ts, on the dev control plane's containers).
 */
export const taskLogs = new Map<string, string>();

/** Starts the plane; `impl` overrides the recording implementation's outcome per kind. */
export async function startPlane(
  options: { clock?: ManualClock; startEngine?: boolean } = {},
): Promise<Plane> {
  const clock = options.clock ?? createManualClock();
  const emulator = await startKubeEmulator({ now: clock.now });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(emulator.kubeConfig);
  const kube = createKubeConnection(kubeConfig);
  const kinds = [...KINDS, stressChaosStandIn];
  for (const crd of [...kinds.map(kubernetesCrd), ...orchestrationCrds(createChaosKindTable(kinds))])
    await kube.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  const calls: ChaosCall[] = [];
  const implFor = (kind: ChaosKind): ChaosImpl => ({
    apply: ctx => {
      calls.push({ op: 'apply', kind: kind.kind, name: ctx.obj.metadata.name ?? '', at: clock.now() });
      return PHASE_INJECTED;
    },
    recover: ctx => {
      calls.push({ op: 'recover', kind: kind.kind, name: ctx.obj.metadata.name ?? '', at: clock.now() });
      return PHASE_NOT_INJECTED;
    },
  });
  let stopEngine = new AbortController();
  let done: Promise<void> = Promise.resolve();
  const start = () => {
    stopEngine = new AbortController();
    const engine = createEngine({
      kube,
      clock,
      registrations: kinds.map(kind => ({ kind, impl: implFor(kind) })),
      selectors: oneTarget,
      extensions: [
        createOrchestration({
          fetch: loopbackFetch,
          readLog: (namespace, pod) => Promise.resolve(taskLogs.get(`${namespace}/${pod}`) ?? ''),
        }),
      ],
      recordBackoff: { baseMs: 20, maxMs: 500 },
      rateLimiter: { baseMs: 10, maxMs: 500 },
      statusFlushIntervalMs: 20,
      shutdownGraceMs: 2_000,
      ...(process.env['ORCHESTRATION_TEST_LOG']
        ? { log: createLogger({ level: 'debug', format: 'pretty' }) }
        : {}),
    });
    done = engine.run(stopEngine.signal);
  };
  if (options.startEngine !== false) start();
  const path = (plural: string, namespace: string, name?: string) =>
    resourcePath(group(plural), namespace, name);
  const plane: Plane = {
    clock,
    emulator,
    kube,
    calls,
    async apply(yaml, namespace = 'default') {
      for (const doc of parseAllDocuments(yaml)) {
        const obj = doc.toJS() as Record<string, unknown> | null;
        if (obj) await plane.create(obj, namespace);
      }
    },
    async create(obj, namespace = 'default') {
      const meta = (obj['metadata'] ?? {}) as { namespace?: string };
      const ns = meta.namespace ?? namespace;
      const [g, v] = String(obj['apiVersion']).split('/');
      const plural = `${String(obj['kind']).toLowerCase()}${String(obj['kind']).endsWith('Chaos') ? '' : 's'}`;
      return kube.request('POST', resourcePath({ group: g!, version: v!, plural }, ns), { body: obj });
    },
    async get(plural, name, namespace = 'default') {
      try {
        return await kube.request('GET', path(plural, namespace, name));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list(plural, labels = {}, namespace = 'default') {
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const answer = await kube.request<{ items: never[] }>('GET', path(plural, namespace), {
        query: selector ? { labelSelector: selector } : {},
      });
      return answer.items;
    },
    async events(name, namespace = 'default') {
      const list = await kube.request<{ items: { type: string; reason: string; message: string }[] }>(
        'GET',
        `/api/v1/namespaces/${namespace}/events`,
        { query: { fieldSelector: `involvedObject.name=${name}` } },
      );
      return list.items.map(e => ({ type: e.type, reason: e.reason, message: e.message }));
    },
    async patch(plural, name, patch, namespace = 'default') {
      await kube.request('PATCH', path(plural, namespace, name), {
        body: patch,
        contentType: 'application/merge-patch+json',
      });
    },
    async remove(plural, name, namespace = 'default') {
      await kube.request('DELETE', path(plural, namespace, name)).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    },
    async stopEngine() {
      stopEngine.abort();
      await done;
    },
    startEngine: start,
    async stop() {
      stopEngine.abort();
      await done;
      kube.close();
      await emulator.stop();
    },
  };
  return plane;
}
