// SPDX-License-Identifier: Apache-2.0
import { createEngine, type Engine, type EngineOptions } from '../../../src/createEngine.js';
import { noConnection } from './noConnection.js';
import { createLogger } from '@chaosplane/service';
import { type ChaosApi } from '../../../src/kube/ChaosApi.js';
import { type ChaosImpl } from '@chaosplane/sdk';
import { type KubeEvent } from '../../../src/kube/CoreApi.js';
import { type SelectorRegistry } from '@chaosplane/sdk/framework';
import { createFakeChaosApi, type FakeChaosApi } from './fakeChaosApi.js';
import { createTestSelectors, testKind } from './testKind.js';

export interface FakeEngine {
  api: FakeChaosApi;
  /** The engine (its metrics, its controllers and their informers). */
  engine: Engine;
  events: KubeEvent[];
  stop(): Promise<void>;
}

/**
 * Runs the real engine over the in-memory API. `wrapApi` puts something between the engine and
 * the fake (a watch that lags, say); `beforeStart` runs before the engine does (objects that
 * exist already are then listed, not watched).
 */
export function runFakeEngine(
  impl: ChaosImpl,
  options: Partial<EngineOptions> & {
    selectors?: SelectorRegistry;
    wrapApi?: (api: FakeChaosApi) => ChaosApi;
    beforeStart?: (api: FakeChaosApi) => void;
  } = {},
): FakeEngine {
  const { wrapApi, beforeStart, ...engineOptions } = options;
  const api = createFakeChaosApi();
  const engineApi = wrapApi ? wrapApi(api) : api;
  beforeStart?.(api);
  const events: KubeEvent[] = [];
  const controller = new AbortController();
  const engine = createEngine({
    kube: noConnection,
    registrations: [{ kind: testKind, impl } as never],
    selectors: engineOptions.selectors ?? createTestSelectors(),
    recordBackoff: { baseMs: 20, maxMs: 200 },
    rateLimiter: { baseMs: 10, maxMs: 200 },
    statusFlushIntervalMs: 20,
    ...(process.env['ENGINE_TEST_LOG'] ? { log: createLogger({ level: 'debug', format: 'pretty' }) } : {}),
    ...engineOptions,
    apis: {
      chaos: () => engineApi,
      events: {
        create: event => Promise.resolve(void events.push(event)),
        // A repeat updates the stored event in place, as the API server applies the merge patch.
        repeat: ({ name, count, lastTimestamp }) => {
          const event = events.find(e => e.metadata.name === name);
          if (event) Object.assign(event, { count, lastTimestamp });
          return Promise.resolve();
        },
      },
    },
  });
  const done = engine.run(controller.signal);
  return {
    api,
    engine,
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
