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

async function main(): Promise<void> {
  const options = await parseOperatorArgs(process.argv.slice(2));
  if (options.daemon.tls === 'insecure') {
    log.warn('DAEMON CALLS ARE NOT ENCRYPTED OR AUTHENTICATED (--daemon-insecure): local development only');
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info('stopping: finishing in-flight records', { signal });
      stop.abort();
    });
  }
  const operator = await startOperator(options, log, stop.signal);
  await operator.done;
}

main().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    if (error.exitCode !== 0) console.error(error.message);
    process.exitCode = error.exitCode;
    return;
  }
  log.error(ChaosplaneError.is(error) ? error.message : String((error as Error)?.stack ?? error));
  process.exitCode = 1;
});
