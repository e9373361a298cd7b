// SPDX-License-Identifier: Apache-2.0
import { PassThrough } from 'node:stream';
import type { Logger } from '@chaosplane/sdk';
import { createLogger } from '@chaosplane/service';

/** One JSON log line as the logger wrote it. */
export type CapturedLine = Record<string, unknown> & { message: string; level: string };

/** A logger and the lines it has written so far. */
export interface CapturedLogger {
  /** The logger to hand to what is under test (JSON lines, level debug). */
  log: Logger;
  /** Each line written so far, parsed, oldest first. */
  lines: CapturedLine[];
}

/**
 * A JSON logger (debug level) whose lines a test can read back: end-to-end tests assert what
 * the operator and the daemon logged.
 */
export function captureLogger(component: string): CapturedLogger {
  const stream = new PassThrough();
  const lines: CapturedLine[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const text of chunk.toString('utf8').split('\n').filter(Boolean))
      lines.push(JSON.parse(text) as CapturedLine);
  });
  return { log: createLogger({ component, format: 'json', stream, level: 'debug' }), lines };
}
