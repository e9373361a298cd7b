// SPDX-License-Identifier: Apache-2.0
// Host-side checks the daemon's process tests share: which processes run a command line (waits
// are @chaosplane/testing's eventually).
import { readdirSync, readFileSync } from 'node:fs';

/** Host PIDs whose command line is exactly `argv`. */
export function hostProcessesRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(entry => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}
