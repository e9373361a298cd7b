// SPDX-License-Identifier: Apache-2.0
// A lifecycle in which a pass starts while the informer lags behind the engine's own writes
// (readYourWrites.test.ts, and its negative control readYourWritesControl.test.ts).
//
// The informer sees every watch event 1.5 s late (the in-memory API's watch is otherwise
// synchronous). The trap is a pass whose early steps write nothing: then no 409 forces a
// re-read, and a stale copy that still shows a record as not injected would have it applied a
// second time. Steps 1-3 write nothing when the stale copy has the finalizer, the desired
// phase and conditions matching its records: the copy written at the end of an earlier pass.
//
//   pass 1 (t≈0):    both records: apply → `Not Injected/Wait`        (copy A, conditions last)
//   pass 2 (t≈0.6s): target-1 → Injected, target-0 → Wait again       (copy B: records only;
//                    the conditions do not change, so none are written after B)
//   pass 3 (t≈1.8s): the informer has copy A (delivered at ≈1.5 s) but not B (≈2.1 s).
//                    Only target-0 may be applied; target-1 is Injected already.
// Timers fire in due order, so the informer has A and lacks B at pass 3 however slow the
// machine is.
import { PHASE_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { type ChaosApi } from '../../../src/kube/ChaosApi.js';
import { type WatchEvent } from '@chaosplane/kube';
import type { FakeChaosApi } from './fakeChaosApi.js';
import { chaos, runFakeEngine, type FakeEngine } from './runFakeEngine.js';
import { createRecordingImpl, testKind, type Call } from './testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

export const WATCH_LAG_MS = 1_500;
const BACKOFF_BASE_MS = 600;
export const NAME = 'rw';

/** The fake API with every watch event delivered `lagMs` late, in order; lists are not delayed. */
export function lagWatch(api: FakeChaosApi, lagMs: number): ChaosApi {
  return {
    list: signal => api.list(signal),
    get: (namespace, name, signal) => api.get(namespace, name, signal),
    update: (obj, signal) => api.update(obj, signal),
    updateStatus: (obj, signal) => api.updateStatus(obj, signal),
    watch(fromRv, onEvent, signal) {
      const pending = new Set<NodeJS.Timeout>();
      signal.addEventListener('abort', () => pending.forEach(clearTimeout), { once: true });
      return api.watch(
        fromRv,
        (event: WatchEvent<ChaosObject>) => {
          const timer = setTimeout(() => {
            pending.delete(timer);
            onEvent(event);
          }, lagMs);
          pending.add(timer);
        },
        signal,
      );
    },
  };
}

export const records = (obj: ChaosObject | undefined) => obj?.status?.experiment?.containerRecords ?? [];
export const phaseOf = (obj: ChaosObject | undefined, id: string) =>
  records(obj).find(r => r.id === id)?.phase;

export interface StaleInformerRun {
  running: FakeEngine;
  calls: Call[];
  /** Apply calls by record id. */
  applies: Map<string, number>;
  /** What the informer and the API server held when target-0's third apply began (pass 3). */
  atPassThree?: { informed: ChaosObject | undefined; stored: ChaosObject | undefined };
}

/** Runs the scenario until both records are injected. `onStart` receives the engine at once. */
export async function runStaleInformerScenario(
  onStart: (running: FakeEngine) => void,
): Promise<StaleInformerRun> {
  const applies = new Map<string, number>();
  const run: Partial<StaleInformerRun> & { applies: Map<string, number> } = { applies };
  const impl = createRecordingImpl({
    apply: ctx => {
      const id = ctx.record.id;
      const n = (applies.get(id) ?? 0) + 1;
      applies.set(id, n);
      // target-0 waits twice, target-1 once; then each is injected.
      const waits = id.endsWith('target-0') ? 2 : 1;
      if (id.endsWith('target-0') && n === 3)
        run.atPassThree = {
          informed: run.running!.engine.controllers().get(testKind.kind)?.informer.get(`default/${NAME}`),
          stored: run.running!.api.read('default', NAME),
        };
      return n <= waits ? 'Not Injected/Wait' : PHASE_INJECTED;
    },
  });
  run.calls = impl.calls;
  run.running = runFakeEngine(impl, {
    wrapApi: api => lagWatch(api, WATCH_LAG_MS),
    // Listed at start (lists are not delayed): pass 1 runs at once.
    beforeStart: api => void api.create(chaos(NAME, { count: 2 })),
    recordBackoff: { baseMs: BACKOFF_BASE_MS, maxMs: 60_000 },
  });
  onStart(run.running);
  const { api } = run.running;
  await eventually(
    () => {
      const obj = api.read('default', NAME);
      return records(obj).length === 2 && records(obj).every(r => r.phase === PHASE_INJECTED);
    },
    { what: 'both injected', intervalMs: 20 },
  );
  return run as StaleInformerRun;
}
