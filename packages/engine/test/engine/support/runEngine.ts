// SPDX-License-Identifier: Apache-2.0
import { createEngine, type EngineOptions } from '../../../src/createEngine.js';
import { createLogger } from '@chaosplane/service';
import { type ChaosImpl } from '@chaosplane/sdk';
import type { TestCluster } from './emulator.js';
import { createTestSelectors, testKind } from './testKind.js';

/** Runs the engine in this process against the test cluster over HTTPS. */
export function runEngine(cluster: TestCluster, impl: ChaosImpl, options: Partial<EngineOptions> = {}) {
  const controller = new AbortController();
  const engine = createEngine({
    kube: cluster.client,
    registrations: [{ kind: testKind, impl } as never],
    selectors: createTestSelectors((_ns, labels, signal) => cluster.listPods(labels, signal)),
    recordBackoff: { baseMs: 20, maxMs: 500 },
    rateLimiter: { baseMs: 10, maxMs: 500 },
    statusFlushIntervalMs: 30,
    ...(process.env['ENGINE_TEST_LOG'] ? { log: createLogger({ level: 'debug', format: 'pretty' }) } : {}),
    ...options,
  });
  const done = engine.run(controller.signal);
  return {
    engine,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
