// SPDX-License-Identifier: Apache-2.0
// The selection table over the fixture cluster held in memory. The same table runs against
// kube-emulator in emulatorTable.test.ts.
import { describe, expect, it } from '@jest/globals';
import { createPodSelector } from '@chaosplane/selectors';
import { fixtureSource } from './support/memorySource.js';
import { SELECTION_CASES } from './support/selectionCases.js';

describe('pod selection table (in-memory store)', () => {
  const source = fixtureSource();
  it.each(SELECTION_CASES.map(testCase => [testCase.name, testCase] as const))(
    '%s',
    async (_name, testCase) => {
      const selector = createPodSelector(source, testCase.options);
      const run = selector.select(
        { selector: testCase.spec, mode: 'all' },
        { namespace: testCase.namespace ?? 'app', signal: new AbortController().signal },
      );
      if (Array.isArray(testCase.expect)) {
        const ids = (await run).map(target => target.id).sort();
        expect(ids).toEqual(testCase.expect);
      } else {
        await expect(run).rejects.toThrow(testCase.expect.error);
      }
    },
  );
});
