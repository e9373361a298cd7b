// SPDX-License-Identifier: Apache-2.0
// A chaos kind for engine tests, a selector registry that returns synthetic or emulator pods,
// and a plugin that records every apply and recover call.
import {
  ChaosplaneError,
  DurationString,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  Type,
  definePlugin,
  type ChaosImpl,
  type ChaosObject,
  type ImplContext,
  type SelectedTarget,
  type SelectorRef,
  type Static,
} from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';

export const TestSpec = Type.Object({
  count: Type.Integer({ minimum: 0, description: 'How many synthetic targets to select.' }),
  duration: Type.Optional(DurationString()),
  oneShot: Type.Optional(Type.Boolean()),
  labelSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
  failSelection: Type.Optional(Type.Boolean()),
});

export const testKind = definePlugin({
  kind: {
    kind: 'EngineTestChaos',
    plural: 'enginetestchaos',
    spec: TestSpec,
    isOneShot: obj => obj.spec.oneShot === true,
    // A rule the CRD schema cannot express, so the API server accepts what the engine refuses.
    rules: [
      (spec, path) =>
        spec.count > 100_000
          ? [{ field: `${path}.count`, message: 'at most 100000 targets per experiment' }]
          : [],
    ],
    selectors: (obj: ChaosObject<Static<typeof TestSpec>>): Record<string, SelectorRef> =>
      obj.spec.labelSelector
        ? { '.': { kind: 'pod-label', spec: obj.spec.labelSelector } }
        : {
            '.': {
              kind: 'synthetic',
              spec: { count: obj.spec.count, fail: obj.spec.failSelection === true },
            },
          },
  },
}).kind;

/** Selects `count` synthetic ids, or (through `podLister`) pods by label. */
export function createTestSelectors(
  podLister?: (namespace: string, labels: Record<string, string>, signal: AbortSignal) => Promise<string[]>,
  overrides: { synthetic?: (count: number) => SelectedTarget[] | Promise<SelectedTarget[]> } = {},
): SelectorRegistry {
  return {
    kinds: () => ['synthetic', 'pod-label'],
    // Synthetic targets are not read back: apply and recover get them as selected.
    resolve: (kind, target) => Promise.resolve({ ...target, kind }),
    async select(ref, context) {
      if (ref.kind === 'synthetic') {
        const spec = ref.spec as { count: number; fail: boolean };
        if (spec.fail) throw new ChaosplaneError('selection', 'synthetic selector told to fail');
        if (overrides.synthetic) return overrides.synthetic(spec.count);
        return Array.from({ length: spec.count }, (_, i) => ({ id: `${context.namespace}/target-${i}` }));
      }
      if (ref.kind === 'pod-label' && podLister) {
        const names = await podLister(context.namespace, ref.spec as Record<string, string>, context.signal);
        return names.map(name => ({ id: `${context.namespace}/${name}` }));
      }
      throw new ChaosplaneError('selection', `unknown selector kind ${ref.kind}`);
    },
  };
}

export interface Call {
  op: 'apply' | 'recover';
  id: string;
  cycle: number;
  phaseSeen: string;
}

/** A plugin implementation that records calls; `behaviour` can make calls fail or wait. */
export function createRecordingImpl(
  behaviour: {
    delayMs?: number;
    apply?: (ctx: ImplContext) => Promise<string | void> | string | void;
    recover?: (ctx: ImplContext) => Promise<string | void> | string | void;
  } = {},
): ChaosImpl & { calls: Call[] } {
  const calls: Call[] = [];
  const wait = () =>
    behaviour.delayMs ? new Promise(resolve => setTimeout(resolve, behaviour.delayMs)) : undefined;
  return {
    calls,
    async apply(ctx) {
      const record = ctx.record;
      calls.push({ op: 'apply', id: record.id, cycle: record.injectedCount, phaseSeen: record.phase });
      await wait();
      return (await behaviour.apply?.(ctx)) ?? PHASE_INJECTED;
    },
    async recover(ctx) {
      const record = ctx.record;
      calls.push({ op: 'recover', id: record.id, cycle: record.recoveredCount, phaseSeen: record.phase });
      await wait();
      return (await behaviour.recover?.(ctx)) ?? PHASE_NOT_INJECTED;
    },
  };
}
