// SPDX-License-Identifier: Apache-2.0
// Graceful shutdown with a recovery that fails: every other entry is still recovered, the daemon
// still releases its journal, lock and ports, and the failure is reported at the end.
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createJournal } from '../src/journal/createJournal.js';
import { startDaemon } from '../src/server/startDaemon.js';

import { probePlugin } from './support/probePlugin.js';

describe('graceful shutdown', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-shutdown-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('recovers everything it can when one recovery fails, then releases everything and reports it', async () => {
    const daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: 'insecure',
      stateDir,
      runtimes: {},
    });
    const marker = path.join(stateDir, 'slow-undo-marker');
    writeFileSync(marker, '');
    const failing = await daemon.processManager.injectChange({
      identifier: 'failing',
      apply: { argv: ['true'] },
      undo: { argv: ['false'] },
    });
    // Slower than the failing one: a shutdown that gives up at the first failure never sees it done.
    await daemon.processManager.injectChange({
      identifier: 'slow',
      apply: { argv: ['true'] },
      undo: { argv: ['sh', '-c', `sleep 0.5 && rm "$0"`, marker] },
    });
    await expect(daemon.close()).rejects.toThrow(/1 of 2 entries could not be recovered/);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(stateDir, 'daemon.lock'))).toBe(false);
    // What failed is left in the journal for the next daemon.
    const journal = createJournal(stateDir);
    expect(journal.active().map(e => e.uid)).toEqual([failing.uid]);
    journal.close();
  }, 20_000);

  it('releases the state directory when the start fails, so the next start can take it', async () => {
    const options = { grpcHost: '127.0.0.1', grpcPort: 0, tls: 'insecure' as const, stateDir, runtimes: {} };
    await expect(startDaemon({ ...options, plugins: [probePlugin, probePlugin] })).rejects.toThrow(
      /two plugins serve/,
    );
    expect(existsSync(path.join(stateDir, 'daemon.lock'))).toBe(false);
    const daemon = await startDaemon(options);
    await daemon.close();
  });
});
