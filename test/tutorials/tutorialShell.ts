// SPDX-License-Identifier: Apache-2.0
// Runs a tutorial's shell commands as written, without a shell, from a directory that stands for
// the repository root, and keeps account of which commands ran and which were replaced by code.
import { execFile } from 'node:child_process';
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

/** A tutorial's commands, run or accounted for. */
export interface TutorialShell {
  /** Runs one command of the page (it must appear there verbatim); resolves to its stdout. */
  run(command: string, options?: { timeoutMs?: number }): Promise<string>;
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
 *   repository, since the temporary directory only holds the tutorial's files.
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

/** Creates the runner of one tutorial's commands. */
export function createTutorialShell(options: TutorialShellOptions): TutorialShell {
  const accounted = new Set<string>();
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
        const { stdout } = await execFileAsync(file!, args, {
          cwd: options.cwd,
          env: { ...process.env, ...options.env },
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
        });
        return stdout;
      } catch (error) {
        const failure = error as Error & { stdout?: string; stderr?: string };
        throw new Error(
          `${command} failed: ${failure.message}\nstdout: ${failure.stdout ?? ''}\nstderr: ${failure.stderr ?? ''}`,
        );
      }
    },
    replacedByCode(command, why) {
      if (why.trim() === '') throw new Error(`say why ${command} is replaced`);
      check(command);
    },
    unaccounted: () => options.tutorial.commands.filter(command => !accounted.has(command)),
  };
}
