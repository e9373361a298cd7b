#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
/**
 * `kube-emulator --listen 127.0.0.1:PORT --kubeconfig PATH [--data DIR]`: runs the emulator
 * until SIGINT/SIGTERM. Port 0 picks a free port; the address is printed on stdout as
 * `listening on https://HOST:PORT` once the kubeconfig is written.
 */
import { Command, InvalidArgumentError } from 'commander';
import { startKubeEmulator } from './kubeEmulator.js';
import { KubeEmulatorError } from './errors.js';
import { type FaultConfig, validateFaultConfig } from './faultInjector.js';
import * as fs from 'node:fs';

function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const [, host, port] = m ?? [];
  if (host === undefined || port === undefined || Number(port) > 65535)
    throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:0');
  return { host: host.replace(/^\[|\]$/g, ''), port: Number(port) };
}

function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return Number(value);
}

function parseFaults(file: string): FaultConfig {
  let config: FaultConfig;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as FaultConfig;
  } catch (error) {
    throw new InvalidArgumentError(`cannot read fault config ${file}: ${(error as Error).message}`);
  }
  try {
    validateFaultConfig(config);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return config;
}

const program = new Command()
  .name('kube-emulator')
  .description('A Kubernetes API server emulator that kubectl and @kubernetes/client-node accept')
  .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', parseListen, {
    host: '127.0.0.1',
    port: 0,
  })
  .requiredOption('--kubeconfig <path>', 'where to write the kubeconfig for clients')
  .option(
    '--data <dir>',
    'persist objects here (fsync before every reply); restart on the same dir to resume',
  )
  .option('--faults <file>', 'JSON fault-injection config (see README)', parseFaults)
  .option('--watch-history <n>', 'watch events kept for resuming watches', parsePositiveInt)
  .option('--bookmark-interval-ms <ms>', 'interval of watch BOOKMARK events', parsePositiveInt)
  .option('-v, --verbose', 'log every request to stderr')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    listen: { host: string; port: number };
    kubeconfig: string;
    data?: string;
    faults?: FaultConfig;
    watchHistory?: number;
    bookmarkIntervalMs?: number;
    verbose?: boolean;
  }>();
  const emulator = await startKubeEmulator({
    host: opts.listen.host,
    port: opts.listen.port,
    kubeconfigPath: opts.kubeconfig,
    ...(opts.data ? { dataDir: opts.data } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.watchHistory ? { watchHistory: opts.watchHistory } : {}),
    ...(opts.bookmarkIntervalMs ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
    log: opts.verbose
      ? line => process.stderr.write(`${line}\n`)
      : line =>
          line.startsWith('internal error') || line.startsWith('controller')
            ? process.stderr.write(`${line}\n`)
            : undefined,
  });
  process.stdout.write(`listening on ${emulator.url}\nkubeconfig written to ${emulator.kubeconfigPath}\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = KubeEmulatorError.is(error)
    ? `${error.kind}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`kube-emulator: ${message}\n`);
  process.exit(1);
});
