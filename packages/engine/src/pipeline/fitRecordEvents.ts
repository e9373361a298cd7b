// SPDX-License-Identifier: Apache-2.0
import type { ContainerRecord } from '@chaosplane/sdk';

/**
 * The most the records list may weigh as JSON. etcd refuses objects over 1.5 MiB by default;
 * the rest of the object (spec, metadata, conditions) needs room too.
 */
export const MAX_RECORDS_BYTES = 1024 * 1024;

/**
 * Keeps a records list under {@link MAX_RECORDS_BYTES} by keeping fewer of each record's newest
 * events (halving until it fits, down to none). Phases and counts are never cut: losing them
 * would lose track of injected faults; the events are history.
 */
export function fitRecordEvents(records: ContainerRecord[], maxBytes = MAX_RECORDS_BYTES): ContainerRecord[] {
  let size = JSON.stringify(records).length;
  if (size <= maxBytes) return records;
  let keep = Math.max(0, ...records.map(r => r.events?.length ?? 0));
  let fitted = records;
  while (size > maxBytes && keep > 0) {
    keep = Math.floor(keep / 2);
    fitted = records.map(r =>
      r.events && r.events.length > keep ? { ...r, events: r.events.slice(r.events.length - keep) } : r,
    );
    size = JSON.stringify(fitted).length;
  }
  return fitted;
}
