// SPDX-License-Identifier: Apache-2.0
import { PHASE_INJECTED, type ContainerRecord } from '@chaosplane/sdk';
import { isRecordRecovered, type ChaosCondition } from '@chaosplane/sdk/framework';

/** Why selection has not produced records; shown as the reason of the `Selected` condition. */
export interface SelectionNote {
  /** `InvalidSpec`, `SelectionFailed` or `NoTargets`. */
  reason: 'InvalidSpec' | 'SelectionFailed' | 'NoTargets';
  /** Human-readable detail; for `InvalidSpec` it names the field. */
  message: string;
}

/**
 * Step 3: the four conditions from the records and the pause flag. `Selected` carries a reason
 * when selection is blocked (invalid spec, a failing selector, nothing selected).
 */
export function computeConditions(
  records: readonly ContainerRecord[] | undefined,
  paused: boolean,
  note?: SelectionNote,
): ChaosCondition[] {
  const selected = records !== undefined && records.length > 0;
  const all = (phase: string) => selected && records.every(record => record.phase === phase);
  const selectedCondition: ChaosCondition = { type: 'Selected', status: selected ? 'True' : 'False' };
  if (note && !selected) {
    selectedCondition.reason = note.reason;
    selectedCondition.message = note.message;
  } else if (note?.reason === 'InvalidSpec') {
    selectedCondition.reason = note.reason;
    selectedCondition.message = note.message;
  }
  return [
    selectedCondition,
    { type: 'AllInjected', status: all(PHASE_INJECTED) ? 'True' : 'False' },
    { type: 'AllRecovered', status: selected && records.every(isRecordRecovered) ? 'True' : 'False' },
    { type: 'Paused', status: paused ? 'True' : 'False' },
  ];
}

/** True when two condition lists say the same (order of types and absent fields ignored). */
export function sameConditions(
  a: readonly ChaosCondition[] | undefined,
  b: readonly ChaosCondition[],
): boolean {
  const key = (list: readonly ChaosCondition[]) =>
    JSON.stringify(
      [...list]
        .map(c => [c.type, c.status, c.reason ?? '', c.message ?? ''])
        .sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)),
    );
  return key(a ?? []) === key(b);
}
