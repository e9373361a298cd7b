// SPDX-License-Identifier: Apache-2.0
import type { ChaosObject } from '@chaosplane/sdk';
import {
  CLEAN_FINALIZER_ANNOTATION,
  CLEAN_FINALIZER_FORCED,
  isRecordRecovered,
  RECORDS_FINALIZER,
} from '@chaosplane/sdk/framework';
import { isDeleted } from './desiredPhase.js';

/** Step 1: the finalizer list with ours appended, or undefined when nothing is to be done. */
export function finalizersToInit(obj: ChaosObject): string[] | undefined {
  if (isDeleted(obj)) return undefined;
  const current = obj.metadata.finalizers ?? [];
  return current.includes(RECORDS_FINALIZER) ? undefined : [...current, RECORDS_FINALIZER];
}

/** Why step 5 removes the finalizer. */
export type CleanReason = 'AllRecovered' | 'Forced';

/**
 * Step 5: once the object is deleted, the finalizer list without ours (others' finalizers are
 * kept, unlike Chaos Mesh which clears them all) when every record is recovered (exactly
 * `Not Injected` with no call in flight: a failed apply may have taken effect), or when the forced-clean annotation is set. Undefined when nothing is to be done.
 */
export function finalizersToClean(
  obj: ChaosObject,
): { finalizers: string[]; reason: CleanReason } | undefined {
  if (!isDeleted(obj)) return undefined;
  const current = obj.metadata.finalizers ?? [];
  if (!current.includes(RECORDS_FINALIZER)) return undefined;
  const forced = obj.metadata.annotations?.[CLEAN_FINALIZER_ANNOTATION] === CLEAN_FINALIZER_FORCED;
  const records = obj.status?.experiment?.containerRecords ?? [];
  const recovered = records.every(isRecordRecovered);
  if (!forced && !recovered) return undefined;
  return {
    finalizers: current.filter(name => name !== RECORDS_FINALIZER),
    reason: recovered ? 'AllRecovered' : 'Forced',
  };
}
