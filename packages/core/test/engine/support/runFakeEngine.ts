// SPDX-License-Identifier: Apache-2.0
import { KubeConfig } from '@kubernetes/client-node';
import {
  createEngine,
  createLogger,
  type ChaosImpl,
  type EngineOptions,
  type KubeEvent,
  type SelectorRegistry,
} from '@chaosplane/core';
import { createFakeChaosApi, type FakeChaosApi } from './fakeChaosApi.js';
import { createTestSelectors, testKind } from './testKind.js';

export interface FakeEngine {
  api: FakeChaosApi;
  events: KubeEvent[];
  stop(): Promise<void>;
}

/** Runs the real engine over the in-memory API. */
export function runFakeEngine(
  impl: ChaosImpl,
  options: Partial<EngineOptions> & { selectors?: SelectorRegistry } = {},
): FakeEngine {
  const api = createFakeChaosApi();
  const events: KubeEvent[] = [];
  const controller = new AbortController();
  const engine = createEngine({
    kubeConfig: new KubeConfig(),
    registrations: [{ kind: testKind, impl } as never],
    selectors: options.selectors ?? createTestSelectors(),
    recordBackoff: { baseMs: 20, maxMs: 200 },
    rateLimiter: { baseMs: 10, maxMs: 200 },
    statusFlushIntervalMs: 20,
    ...(process.env['ENGINE_TEST_LOG'] ? { log: createLogger({ level: 'debug', format: 'pretty' }) } : {}),
    ...options,
    apis: { chaos: () => api, events: { create: event => Promise.resolve(void events.push(event)) } },
  });
  const done = engine.run(controller.signal);
  return {
    api,
    events,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

export function chaos(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return {
    apiVersion: testKind.apiVersion,
    kind: testKind.kind,
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec,
  };
}
