// SPDX-License-Identifier: Apache-2.0
// The real kubectl against a dev plane: argv only, stdin fed in, its output kept for the error.
import { spawn } from 'node:child_process';
import { ChaosplaneError } from '@chaosplane/sdk';

/** Options of {@link runKubectl}. */
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

/**
 * Runs `kubectl --kubeconfig <kubeconfig> <args>`; resolves with its stdout. Rejects with kind
 * `runtime`, its output in the message, when it fails, cannot start or times out.
 */
export function runKubectl(
  kubeconfig: string,
  args: string[],
  options: RunKubectlOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      timeout: options.timeoutMs ?? 120_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let both = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      both += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (both += chunk.toString()));
    child.on('error', error =>
      reject(new ChaosplaneError('runtime', `kubectl ${args.join(' ')}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(options.withStderr === true ? both : stdout);
      else {
        const how = signal !== null ? `was killed (${signal})` : `exited ${code}`;
        reject(new ChaosplaneError('runtime', `kubectl ${args.join(' ')} ${how}: ${both}`.trim()));
      }
    });
    // kubectl may exit before reading it all (a bad flag): that is its error, not this one.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}
