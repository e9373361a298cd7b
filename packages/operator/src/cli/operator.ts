#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `chaosplane-operator`: loads plugins, reconciles their chaos objects; SIGTERM/SIGINT stop it
// gracefully (in-flight records finish and are written).
import { CommanderError } from 'commander';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createLogger } from '@chaosplane/service';
import { parseOperatorArgs } from '../config/operatorArgs.js';
import { startOperator } from '../operator/startOperator.js';

const log = createLogger({ component: 'operator' });

/**
 * How long past --shutdown-grace a stop may take before the process exits anyway: every step of
 * a stop is bounded, so this only fires on a bug, and then a pod still leaves Terminating before
 * the kubelet's SIGKILL (deploy/operator.yaml gives 60 s; the grace is 30 s by default), saying why.
 */
const STOP_MARGIN_MS = 15_000;

/**
 * The first SIGTERM or SIGINT stops the operator gracefully, under a watchdog; a second one
 * (Ctrl-C again) exits at once.
 */
function stopOnSignals(stop: AbortController, graceMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) {
        log.warn('second signal: exiting now, in-flight records unfinished', { signal });
        process.exit(1);
      }
      log.info('stopping: finishing in-flight records', { signal });
      stop.abort();
      setTimeout(() => {
        log.error('the operator did not stop in time: exiting', { afterMs: graceMs + STOP_MARGIN_MS });
        process.exit(1);
      }, graceMs + STOP_MARGIN_MS).unref();
    });
  }
}

async function main(): Promise<void> {
  const options = await parseOperatorArgs(process.argv.slice(2));
  if (options.daemon.tls === 'insecure') {
    log.warn('DAEMON CALLS ARE NOT ENCRYPTED OR AUTHENTICATED (--daemon-insecure): local development only');
  }
  const stop = new AbortController();
  stopOnSignals(stop, options.engine.shutdownGraceMs);
  try {
    const operator = await startOperator(options, log, stop.signal);
    await operator.done;
  } catch (error) {
    // Stopped while starting (waiting for its cache to sync, say): a stop, not a failure.
    if (stop.signal.aborted && ChaosplaneError.isKind(error, 'aborted')) {
      log.info('operator stopped before it started');
      return;
    }
    throw error;
  }
}

// Exits explicitly once stopped: a handle left open (a socket, a timer) must not keep a stopped
// operator's process, and its pod, alive.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    if (error instanceof CommanderError) {
      if (error.exitCode !== 0) console.error(error.message);
      process.exit(error.exitCode);
    }
    log.error(ChaosplaneError.is(error) ? error.message : String((error as Error)?.stack ?? error));
    process.exit(1);
  },
);
