// SPDX-License-Identifier: Apache-2.0
import { describe } from '@jest/globals';

/**
 * `describe`, or `describe.skip` when `unavailableReason` says why the suite cannot run here
 * (containerd missing, not root…): the reason is printed and shown in the suite's title, so a
 * skip never hides silently. The one way tests that need real parts skip.
 */
export function describeIf(unavailableReason: string | undefined): typeof describe {
  if (unavailableReason === undefined) return describe;
  console.warn(`SKIPPED: ${unavailableReason}`);
  const skipped = ((name: string, fn: () => void) =>
    describe.skip(`${name} [skipped: ${unavailableReason}]`, fn)) as unknown as typeof describe;
  return Object.assign(skipped, describe);
}
