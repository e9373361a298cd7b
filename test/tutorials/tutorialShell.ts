// SPDX-License-Identifier: Apache-2.0
// Runs a tutorial's shell commands as written, without a shell, from a directory that stands for
// the repository root, and keeps account of which commands ran and which were replaced by code.
// A command that runs until interrupted (`chaosplane dev`) is started in the background and
// stopped with SIGINT, as Ctrl-C would.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { shellWords, type Tutorial } from './parseTutorial.js';

const execFileAsync = promisify(execFile);

/** Options of {@link createTutorialShell}. */
export interface TutorialShellOptions {
  tutorial: Tutorial;
  /** The directory the tutorial's files were written to: it stands for the repository root. */
  cwd: string;
  /** The real repository root (for `packages/…`, `examples/…` and `npx`). */
  repo: string;
  /** Extra environment (e.g. KUBECONFIG for commands that do not name one). */
  env?: NodeJS.ProcessEnv;
}

/** What a command wrote. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** A command of the page running in the background. */
export interface BackgroundCommand {
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGINT (Ctrl-C), then SIGKILL to its process group if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** A tutorial's commands, run or accounted for. */
export interface TutorialShell {
  /** Runs one command of the page (it must appear there verbatim) to completion. */
  run(command: string, options?: { timeoutMs?: number }): Promise<CommandOutput>;
  /**
   * Starts a command of the page that runs until interrupted, and resolves once its output
   * matches `ready`; rejects (and kills it) if it exits or `timeoutMs` passes first.
   */
  start(command: string, options: { ready: RegExp; timeoutMs?: number }): Promise<BackgroundCommand>;
  /** Records that the test does what `command` does in code instead, and why. */
  replacedByCode(command: string, why: string): void;
  /** Commands of the page neither run nor replaced. */
  unaccounted(): string[];
}

/**
 * The argv a command line stands for, run from `cwd`:
 * - `npx BIN …` runs `<repo>/node_modules/.bin/BIN`, which is what npx finds from the root;
 * - `node` is this Node.js binary;
 * - words naming the framework's own files (`packages/…`, `examples/…`) resolve in the real
 *   repository, since the working directory only holds the tutorial's files (and a link to the
 *   repository's node_modules).
 */
export function commandArgv(command: string, repo: string): string[] {
  const words = shellWords(command);
  const [program, ...rest] = words;
  if (program === undefined) throw new Error('empty command');
  const repoFile = (word: string) => (/^(packages|examples)\//.test(word) ? path.join(repo, word) : word);
  if (program === 'npx') {
    const [bin, ...args] = rest;
    if (bin === undefined) throw new Error(`${command}: npx needs a program`);
    return [path.join(repo, 'node_modules/.bin', bin), ...args.map(repoFile)];
  }
  if (program === 'node') return [process.execPath, ...rest.map(repoFile)];
  return [program, ...rest.map(repoFile)];
}

/** Starts `argv` in its own process group and waits until its output matches `ready`. */
function startInBackground(
  command: string,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs: number },
): Promise<BackgroundCommand> {
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>(resolve => child.once('close', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle: BackgroundCommand = {
    output: () => output,
    async stop(graceMs = 60_000) {
      if (!running()) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => {
        if (running() && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void handle.stop(5_000).finally(() => reject(new Error(`${command}: ${why}\noutput:\n${output}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${options.timeoutMs} ms`), options.timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!settled && options.ready.test(output)) {
        settled = true;
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', error => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? String(code)}) before it was ready`));
  });
}

/** Creates the runner of one tutorial's commands. */
export function createTutorialShell(options: TutorialShellOptions): TutorialShell {
  const accounted = new Set<string>();
  const env = { ...process.env, ...options.env };
  const check = (command: string) => {
    if (!options.tutorial.commands.includes(command))
      throw new Error(`the tutorial shows no command ${JSON.stringify(command)}`);
    accounted.add(command);
  };
  return {
    async run(command, { timeoutMs = 120_000 } = {}) {
      check(command);
      const [file, ...args] = commandArgv(command, options.repo);
      try {
        const { stdout, stderr } = await execFileAsync(file!, args, {
          cwd: options.cwd,
          env,
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
        });
        return { stdout, stderr };
      } catch (error) {
        const failure = error as Error & { stdout?: string; stderr?: string };
        throw new Error(
          `${command} failed: ${failure.message}\nstdout: ${failure.stdout ?? ''}\nstderr: ${failure.stderr ?? ''}`,
        );
      }
    },
    start(command, { ready, timeoutMs = 120_000 }) {
      check(command);
      return startInBackground(command, commandArgv(command, options.repo), {
        cwd: options.cwd,
        env,
        ready,
        timeoutMs,
      });
    },
    replacedByCode(command, why) {
      if (why.trim() === '') throw new Error(`say why ${command} is replaced`);
      check(command);
    },
    unaccounted: () => options.tutorial.commands.filter(command => !accounted.has(command)),
  };
}
