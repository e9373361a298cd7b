// SPDX-License-Identifier: Apache-2.0
// The selection table (support/selectionCases.ts) against a real kube-emulator, once through the
// shared informer cache and once through direct LIST calls with server-side label and field
// selectors. Both must give exactly the expected pods and error messages.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createDirectListSource,
  createPodSelector,
  createSelectionCache,
  type SelectionCache,
  type SelectionSource,
} from '@chaosplane/selectors';
import { startFixtureCluster, type EmulatorCluster } from './support/emulatorCluster.js';
import { SELECTION_CASES } from './support/selectionCases.js';

let cluster: EmulatorCluster;
let cache: SelectionCache;
const sources: Record<'cache' | 'direct LIST', () => SelectionSource> = {
  cache: () => cache,
  'direct LIST': () => createDirectListSource(cluster.connection),
};

beforeAll(async () => {
  cluster = await startFixtureCluster();
  cache = createSelectionCache(cluster.connection);
  await cache.start();
});

afterAll(async () => {
  await cache?.stop();
  await cluster?.stop();
});

describe.each(Object.keys(sources) as (keyof typeof sources)[])(
  'pod selection table against kube-emulator (%s)',
  sourceName => {
    it.each(SELECTION_CASES.map(testCase => [testCase.name, testCase] as const))(
      '%s',
      async (_name, testCase) => {
        const selector = createPodSelector(sources[sourceName](), testCase.options);
        const run = selector.select(
          { selector: testCase.spec, mode: 'all' },
          { namespace: testCase.namespace ?? 'app', signal: new AbortController().signal },
        );
        if (Array.isArray(testCase.expect)) {
          expect((await run).map(target => target.id).sort()).toEqual(testCase.expect);
        } else {
          await expect(run).rejects.toThrow(testCase.expect.error);
        }
      },
    );
  },
);

describe('modes at their boundaries against kube-emulator (cache)', () => {
  const running = { selector: { namespaces: ['app'] } }; // 4 eligible pods
  const count = async (mode: string, value?: string): Promise<number> =>
    (
      await createPodSelector(cache).select(
        { ...running, mode: mode as 'all', ...(value !== undefined ? { value } : {}) },
        { namespace: 'app', signal: new AbortController().signal },
      )
    ).length;
  it.each([
    ['one', undefined, 1],
    ['all', undefined, 4],
    ['fixed', '1', 1],
    ['fixed', '4', 4],
    ['fixed', '5', 4],
    ['fixed-percent', '1', 1],
    ['fixed-percent', '25', 1],
    ['fixed-percent', '26', 2],
    ['fixed-percent', '75', 3],
    ['fixed-percent', '76', 4],
    ['fixed-percent', '100', 4],
  ] as const)('%s %s picks %d of 4', async (mode, value, expected) => {
    expect(await count(mode, value)).toBe(expected);
  });
  it.each([
    ['fixed', '0', 'value must be greater than 0 with mode:fixed'],
    ['fixed', 'two', 'parse value field error:strconv.Atoi: parsing "two": invalid syntax'],
    ['fixed-percent', '0', 'value of 0 is invalid, Must be (0,100] with mode:fixed-percent'],
    ['fixed-percent', '101', 'value of 101 is invalid, Must be (0,100] with mode:fixed-percent'],
    ['random-max-percent', '0', 'value of 0 is invalid, Must be (0,100] with mode:random-max-percent'],
    ['random-max-percent', '101', 'value of 101 is invalid, Must be (0,100] with mode:random-max-percent'],
  ] as const)('%s %s is rejected: %s', async (mode, value, message) => {
    await expect(count(mode, value)).rejects.toThrow(message);
  });
  it('random-max-percent 100 picks between 0 and 4, and 0 is an error', async () => {
    const seen = new Set<number | string>();
    for (let i = 0; i < 60; i++) {
      seen.add(await count('random-max-percent', '100').catch((error: Error) => error.message));
    }
    for (const outcome of seen) {
      expect([
        1,
        2,
        3,
        4,
        'no pod is selected: mode random-max-percent with value 100 picked 0 of 4 eligible pods',
      ]).toContain(outcome);
    }
    expect(seen.size).toBeGreaterThan(2);
  });
  it('zero eligible pods is "no pod is selected" in every mode', async () => {
    for (const [mode, value] of [
      ['one'],
      ['all'],
      ['fixed', '1'],
      ['fixed-percent', '100'],
      ['random-max-percent', '100'],
    ] as const) {
      await expect(
        createPodSelector(cache).select(
          { selector: { namespaces: ['empty'] }, mode, ...(value !== undefined ? { value } : {}) },
          { namespace: 'app', signal: new AbortController().signal },
        ),
      ).rejects.toThrow(/^no pod is selected$/);
    }
  });
});
