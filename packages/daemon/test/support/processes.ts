// SPDX-License-Identifier: Apache-2.0
// Host-side checks the daemon's process tests share: which processes run a command line, and
// waiting for a condition.
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

/** Polls `condition` until it holds; the error names what was awaited. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 15_000,
  intervalMs = 25,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise(resolve => setTimeout(resolve, intervalMs));
  }
}
