// SPDX-License-Identifier: Apache-2.0
// An ImplContext for unit tests of an implementation: no engine, no API server, no daemon
// unless given; Events are kept for assertions.
import {
  PHASE_NOT_INJECTED,
  type ChaosObject,
  type ContainerRecord,
  type ImplContext,
  type KubeClient,
  type Target,
} from '@chaosplane/sdk';
import { createSilentLogger } from '@chaosplane/service';

/** Options of {@link fakeImplContext}. */
export interface FakeImplContextOptions<Spec, T extends Target> {
  /** The chaos object (`ctx.obj`). */
  obj: ChaosObject<Spec>;
  /** The record; `ns/target`, `Not Injected` by default. */
  record?: Partial<ContainerRecord>;
  /** The target; `{ kind: 'pod', id: record.id }` by default. */
  target?: T;
  /** The API client; every request fails by default. */
  kube?: KubeClient;
  /** `ctx.daemon`; fails by default. */
  daemon?: ImplContext['daemon'];
  /** The targets of other selector keys (`ctx.targetsOf`); none by default. */
  targetsOf?: Record<string, Target[]>;
  /** `ctx.signal`; never aborted by default. */
  signal?: AbortSignal;
}

/** An `ImplContext` (from @chaosplane/sdk) whose Events land in `emitted` (`Normal Reason: message`). */
export function fakeImplContext<Spec, T extends Target = Target>(
  options: FakeImplContextOptions<Spec, T>,
): ImplContext<Spec, T> & { emitted: string[] } {
  const record: ContainerRecord = {
    id: 'default/target',
    selectorKey: '.',
    phase: PHASE_NOT_INJECTED,
    injectedCount: 0,
    recoveredCount: 0,
    ...options.record,
  };
  const emitted: string[] = [];
  return {
    obj: options.obj,
    record,
    target: options.target ?? ({ kind: 'pod', id: record.id } as unknown as T),
    targetsOf: selectorKey => Promise.resolve(options.targetsOf?.[selectorKey] ?? []),
    kube: options.kube ?? { request: () => Promise.reject(new Error('no API server in this test')) },
    daemon:
      options.daemon ??
      (() => {
        throw new Error('no daemon in this test');
      }),
    events: {
      normal: (reason, message) => emitted.push(`Normal ${reason}: ${message}`),
      warning: (reason, message) => emitted.push(`Warning ${reason}: ${message}`),
    },
    log: createSilentLogger(),
    signal: options.signal ?? new AbortController().signal,
    emitted,
  };
}
