// SPDX-License-Identifier: Apache-2.0
// Selection's records, and the selectors whose namespaces Chaos Mesh's defaulting webhook would
// have filled in (reported as an Event instead of mutating the spec, which is immutable).
import { describe, expect, it } from '@jest/globals';
import { podSelector, type ChaosObject, type SelectorRef } from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';
import { selectRecords } from '../../src/pipeline/selectRecords.js';
import { sampleKind } from '../support/sampleKind.js';

const registry: SelectorRegistry = {
  select: (ref: SelectorRef) => Promise.resolve([{ id: `ns/${(ref.spec as { mode: string }).mode}` }]),
  resolve: () => Promise.reject(new Error('not used')),
  kinds: () => ['pod', 'container'],
};

const twoSelectors = {
  ...sampleKind,
  selectors: (obj: ChaosObject) => {
    const spec = obj.spec as { target: { selector: object; mode: 'one' } };
    return { '.': podSelector(obj.spec as never), '.Target': podSelector(spec.target as never) };
  },
};

const obj = (spec: Record<string, unknown>): ChaosObject => ({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'PodChaos',
  metadata: { name: 'x', namespace: 'ns' },
  spec,
});

describe('selectRecords', () => {
  it('names every selector whose namespaces are empty, by its spec path', async () => {
    const selection = await selectRecords(
      twoSelectors as never,
      registry,
      obj({ selector: {}, mode: 'all', target: { selector: { labelSelectors: { a: 'b' } }, mode: 'one' } }),
      new AbortController().signal,
    );
    expect(selection).toEqual({
      records: [
        { id: 'ns/all', selectorKey: '.', phase: 'Not Injected', injectedCount: 0, recoveredCount: 0 },
        { id: 'ns/one', selectorKey: '.Target', phase: 'Not Injected', injectedCount: 0, recoveredCount: 0 },
      ],
      defaulted: ['spec.selector.namespaces', 'spec.target.selector.namespaces'],
    });
  });

  it('names none when namespaces or pods are given', async () => {
    const selection = await selectRecords(
      twoSelectors as never,
      registry,
      obj({
        selector: { namespaces: ['ns'] },
        mode: 'all',
        target: { selector: { pods: { ns: ['p'] } }, mode: 'one' },
      }),
      new AbortController().signal,
    );
    expect('defaulted' in selection && selection.defaulted).toEqual([]);
  });
});
