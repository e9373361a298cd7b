// SPDX-License-Identifier: Apache-2.0
/** Runs the compiled CLI as a child process (built on demand with tsc -b, argv only). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..');
const repoRoot = path.resolve(packageDir, '../..');
export const cliPath = path.join(packageDir, 'dist', 'cli.js');

/** Compiles the package (incremental: a no-op when dist is current). */
export async function buildCli(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', packageDir],
    { cwd: repoRoot, timeout: 120_000 },
  );
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
      const m = /listening on (https:\/\/\S+)/.exec(stdout);
      if (m) resolve({ child, url: m[1], exited, stderr: () => stderr });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`kube-emulator exited early (code ${code}, signal ${signal}): ${stderr}`)),
    );
  });
}
