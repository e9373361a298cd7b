// SPDX-License-Identifier: Apache-2.0
/** Runs the compiled CLI as a child process (built on demand with tsc -b, argv only). */
import { afterAll, beforeAll } from '@jest/globals';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchDir } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..');
const repoRoot = path.resolve(packageDir, '../..');
export const cliPath = path.join(packageDir, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return fs.existsSync(cliPath) && fs.statSync(cliPath).mtimeMs >= newestMtime(path.join(packageDir, 'src'));
}

/**
 * Compiles the package when dist is older than src (CI builds first, so this is usually a
 * no-op). A lock directory keeps two test files from running tsc on the package at once.
 */
export async function buildCli(): Promise<void> {
  if (isFresh()) return;
  const lock = path.join(os.tmpdir(), 'kube-emulator-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock older than a build can take was left by a killed run.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise(r => setTimeout(r, 200));
    }
  }
  try {
    if (!isFresh()) {
      await promisify(execFile)(
        process.execPath,
        [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', packageDir],
        { cwd: repoRoot, timeout: 120_000 },
      );
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts `kube-emulator` and resolves once it prints its address. */
export function startCli(args: string[]): Promise<CliProcess> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const [, url] = /listening on (https:\/\/\S+)/.exec(stdout) ?? [];
      if (url !== undefined) resolve({ child, url, exited, stderr: () => stderr });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`kube-emulator exited early (code ${code}, signal ${signal}): ${stderr}`)),
    );
  });
}

/** A scratch directory and the CLI processes of one suite; see {@link useCliSandbox}. */
export interface CliSandbox {
  /** The suite's scratch directory (set once `beforeAll` has run). */
  dir(): string;
  /** Processes to SIGKILL at the end if still running; push every one started. */
  running: CliProcess[];
}

/**
 * Registers what every suite that runs the CLI needs: the build, a scratch directory, and, at
 * the end, SIGKILL of every process still running and removal of the directory. Call inside a
 * `describe`.
 */
export function useCliSandbox(prefix: string): CliSandbox {
  const scratch = scratchDir(prefix);
  const running: CliProcess[] = [];
  beforeAll(async () => {
    await buildCli();
    scratch.create();
  }, 120_000);
  // One hook, so the processes are gone before their directory is removed.
  afterAll(async () => {
    for (const p of running) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    scratch.remove();
  });
  return { dir: scratch.dir, running };
}
