// SPDX-License-Identifier: Apache-2.0
// Spawns the child-process engine (fixtures/engineChild.mjs, which runs the compiled engine).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startTestCluster, type TestCluster } from './emulator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CHILD_ENTRY = path.join(here, '..', 'fixtures', 'engineChild.mjs');
const DIST_ENTRY = path.join(here, '..', '..', '..', 'dist', 'createEngine.js');

/** Fails with a clear message when the compiled engine the child needs is missing. */
export function assertBuilt(): void {
  if (!existsSync(DIST_ENTRY)) {
    throw new Error(
      `packages/engine/dist is missing (${DIST_ENTRY}); the crash-safety and leader-election tests run the ` +
        'compiled engine in child processes: run `npm run build` first',
    );
  }
}

export interface ChildEngine {
  process: ChildProcess;
  identity: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts one child engine. */
export function spawnChild(env: Record<string, string>): ChildEngine {
  const identity = env['IDENTITY'] ?? 'child';
  const child = spawn(process.execPath, [CHILD_ENTRY], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  return { process: child, identity, stderr: () => stderr, exited };
}

/** What a test file's child engines share: one test cluster, a directory, the children started. */
export interface ChildEngineFixture {
  cluster: TestCluster;
  dir: string;
  children: ChildEngine[];
}

/**
 * Starts a test cluster and a directory (`prefix`…) before the file's tests, and kills every
 * child pushed to `children`, stops the cluster and removes the directory after them.
 */
export function useChildEngines(prefix: string): ChildEngineFixture {
  const fixture: Partial<ChildEngineFixture> & { children: ChildEngine[] } = { children: [] };
  beforeAll(async () => {
    assertBuilt();
    fixture.dir = mkdtempSync(path.join(tmpdir(), prefix));
    fixture.cluster = await startTestCluster();
  });
  afterAll(async () => {
    await Promise.all(fixture.children.map(killChild));
    await fixture.cluster?.stop();
    if (fixture.dir) rmSync(fixture.dir, { recursive: true, force: true });
  });
  // Read only inside tests, after beforeAll set every field.
  return fixture as ChildEngineFixture;
}

/** SIGKILLs a child and waits for it to be gone. */
export async function killChild(child: ChildEngine): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

/** One line of the effect or call log: `op id cycle identity time`. */
export interface LogLine {
  op: 'apply' | 'recover';
  id: string;
  cycle: number;
  identity: string;
  at: number;
}

/** Reads a log the child writes. */
export function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => {
      const [op, id, cycle, identity, at] = line.split(' ');
      return { op: op as LogLine['op'], id: id!, cycle: Number(cycle), identity: identity!, at: Number(at) };
    });
}
