// SPDX-License-Identifier: Apache-2.0
// The real kubectl against a dev plane: argv only, stdin fed in, its output kept for the error.
import { spawn } from 'node:child_process';
import { ChaosplaneError } from '@chaosplane/sdk';

/** Options of {@link runKubectl} and {@link kubectlOutcome}. */
export interface RunKubectlOptions {
  /** Written to kubectl's stdin (`apply -f -`); nothing by default. */
  stdin?: string;
  /** Kills kubectl when aborted. */
  signal?: AbortSignal;
  /** Kills kubectl after this long; 120 s by default. */
  timeoutMs?: number;
  /** Resolve with stdout and stderr as they came (kubectl's warnings, as a terminal shows them); stdout only by default. */
  withStderr?: boolean;
}

/** What one kubectl run did. */
export interface KubectlOutcome {
  /** Its exit code; null when a signal ended it. */
  code: number | null;
  /** The signal that ended it (the timeout's, or an abort's), else null. */
  signal: NodeJS.Signals | null;
  /** What it wrote to stdout. */
  stdout: string;
  /** What it wrote to stderr (its errors and `Warning:` lines). */
  stderr: string;
  /** stdout and stderr interleaved as they came, as a terminal shows them. */
  both: string;
}

/**
 * Runs `kubectl --kubeconfig <kubeconfig> <args>` and resolves with what it did, whatever its
 * exit code (tests of refusals read the code and stderr). Rejects with kind `runtime` only when
 * kubectl cannot start.
 */
export function kubectlOutcome(
  kubeconfig: string,
  args: string[],
  options: Omit<RunKubectlOptions, 'withStderr'> = {},
): Promise<KubectlOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      timeout: options.timeoutMs ?? 120_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const outcome: KubectlOutcome = { code: null, signal: null, stdout: '', stderr: '', both: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      outcome.stdout += chunk.toString();
      outcome.both += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      outcome.stderr += chunk.toString();
      outcome.both += chunk.toString();
    });
    child.on('error', error =>
      reject(new ChaosplaneError('runtime', `kubectl ${args.join(' ')}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => resolve({ ...outcome, code, signal }));
    // kubectl may exit before reading it all (a bad flag): that is its error, not this one.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * Runs `kubectl --kubeconfig <kubeconfig> <args>`; resolves with its stdout. Rejects with kind
 * `runtime`, its output in the message, when it fails, cannot start or times out.
 */
export async function runKubectl(
  kubeconfig: string,
  args: string[],
  options: RunKubectlOptions = {},
): Promise<string> {
  const { code, signal, stdout, both } = await kubectlOutcome(kubeconfig, args, options);
  if (code === 0) return options.withStderr === true ? both : stdout;
  const how = signal !== null ? `was killed (${signal})` : `exited ${code}`;
  throw new ChaosplaneError('runtime', `kubectl ${args.join(' ')} ${how}: ${both}`.trim());
}
