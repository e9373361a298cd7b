// SPDX-License-Identifier: Apache-2.0
// Calls a PodChaos implementation the way the engine does, without the engine: the record's
// target is read back through the selectors' own resolvers, and a gone target goes to
// `whenTargetGone` on apply.
import type { KubeConnection } from '@chaosplane/kube';
import { ChaosplaneError, type ChaosImpl, type ChaosObject, type ContainerRecord } from '@chaosplane/sdk';
import { resolveContainerTarget, resolvePodTarget } from '@chaosplane/selectors';
import { fakeImplContext } from '@chaosplane/testing/helpers';
import type { PodChaosSpec, PodChaosTarget } from '../../src/kind.js';

/** Applies or recovers one record of `obj` with `impl` over `kube`. */
export async function callImpl(
  impl: ChaosImpl<PodChaosSpec, PodChaosTarget>,
  operation: 'apply' | 'recover',
  kube: KubeConnection,
  obj: ChaosObject<PodChaosSpec>,
  record: Partial<ContainerRecord> & { id: string },
): Promise<string> {
  const signal = new AbortController().signal;
  const selected = {
    id: record.id,
    ...(record.instanceId !== undefined ? { instanceId: record.instanceId } : {}),
  };
  const resolve = record.id.split('/').length === 3 ? resolveContainerTarget : resolvePodTarget;
  let target: PodChaosTarget;
  try {
    target = await resolve(kube, selected, signal);
  } catch (error) {
    if (operation !== 'apply' || !ChaosplaneError.isKind(error, 'not-found') || !impl.whenTargetGone)
      throw error;
    return impl.whenTargetGone(fakeImplContext({ obj, record, kube, signal }), error);
  }
  const context = fakeImplContext({ obj, record, target, kube, signal });
  return operation === 'apply' ? impl.apply(context) : impl.recover(context);
}
