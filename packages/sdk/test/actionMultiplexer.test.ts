// SPDX-License-Identifier: Apache-2.0
// The action multiplexer routes each call to the implementation of the object's action, and
// fails an unknown action the way Chaos Mesh does, keeping the record's phase.
import { describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  createActionMultiplexer,
  type ChaosImpl,
  type ChaosObject,
  type ImplContext,
} from '@chaosplane/sdk';
import { fakeImplContext } from '@chaosplane/testing/helpers';

interface Spec {
  action?: string;
  kind2?: string;
}

function contextFor(spec: Spec, phase: string = PHASE_NOT_INJECTED): ImplContext<Spec> {
  const obj: ChaosObject<Spec> = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    metadata: { name: 'x', namespace: 'default' },
    spec,
  };
  return fakeImplContext({ obj, record: { id: 'default/p', phase } });
}

/** An implementation that says who it is in the phase it returns. */
function named(name: string, calls: string[]): ChaosImpl<Spec> {
  return {
    apply: ({ obj }) => {
      calls.push(`${name}.apply(${obj.spec.action})`);
      return Promise.resolve(`Injected/${name}`);
    },
    recover: ({ obj }) => {
      calls.push(`${name}.recover(${obj.spec.action})`);
      return Promise.resolve(`Not Injected/${name}`);
    },
  };
}

describe('createActionMultiplexer', () => {
  it('routes apply and recover to the implementation of spec.action, and only to it', async () => {
    const calls: string[] = [];
    const mux = createActionMultiplexer({
      'pod-kill': named('kill', calls),
      'pod-failure': named('failure', calls),
    });
    expect(await mux.apply(contextFor({ action: 'pod-failure' }))).toBe('Injected/failure');
    expect(await mux.recover(contextFor({ action: 'pod-kill' }))).toBe('Not Injected/kill');
    expect(calls).toEqual(['failure.apply(pod-failure)', 'kill.recover(pod-kill)']);
    expect(mux.actions).toEqual(['pod-kill', 'pod-failure']);
  });

  it('lets one key list several actions, like a Go `action:"a,b"` tag', async () => {
    const calls: string[] = [];
    const mux = createActionMultiplexer({
      'bandwidth, netem,delay': named('tc', calls),
      partition: named('partition', calls),
    });
    for (const action of ['bandwidth', 'netem', 'delay', 'partition'])
      await mux.apply(contextFor({ action }));
    expect(calls).toEqual([
      'tc.apply(bandwidth)',
      'tc.apply(netem)',
      'tc.apply(delay)',
      'partition.apply(partition)',
    ]);
    expect(mux.implFor('netem')).toBe(mux.implFor('delay'));
  });

  it('fails an unknown action with Chaos Mesh’s message, keeping the record’s phase', async () => {
    const calls: string[] = [];
    const mux = createActionMultiplexer({ 'pod-kill': named('kill', calls) });
    const message =
      'unknown action: Action: pod-explode, GroupVersionKind: chaos-mesh.org/v1alpha1, Kind=PodChaos';
    const applied = await mux.apply(contextFor({ action: 'pod-explode' })).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(applied, 'invalid')).toBe(true);
    expect(applied).toMatchObject({ message, phase: PHASE_NOT_INJECTED });
    const recovered = await mux
      .recover(contextFor({ action: 'pod-explode' }, PHASE_INJECTED))
      .catch((e: unknown) => e);
    expect(recovered).toMatchObject({ message, phase: PHASE_INJECTED });
    // A sub-phase is kept as it is, never flipped.
    const waiting = await mux
      .recover(contextFor({ action: 'pod-explode' }, 'Injected/Wait'))
      .catch((e: unknown) => e);
    expect(waiting).toMatchObject({ message, phase: 'Injected/Wait' });
    const missing = await mux.apply(contextFor({})).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      message: 'unknown action: Action: , GroupVersionKind: chaos-mesh.org/v1alpha1, Kind=PodChaos',
    });
    expect(calls).toEqual([]);
  });

  it('reads the action where actionOf says', async () => {
    const calls: string[] = [];
    const mux = createActionMultiplexer<Spec>(
      { a: named('a', calls), b: named('b', calls) },
      { actionOf: obj => obj.spec.kind2 },
    );
    expect(await mux.apply(contextFor({ action: 'a', kind2: 'b' }))).toBe('Injected/b');
  });

  it('refuses an action listed twice or an empty action', () => {
    const impl = named('x', []);
    expect(() => createActionMultiplexer({ 'a,b': impl, b: impl })).toThrow(
      'action "b" has two implementations',
    );
    expect(() => createActionMultiplexer({ 'a,,b': impl })).toThrow('has an empty action');
  });
});
