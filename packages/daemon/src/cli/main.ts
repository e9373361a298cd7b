#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';

import { ChaosplaneError } from '@chaosplane/sdk';
import { createLogger, loadPlugins } from '@chaosplane/service';
import { Command, InvalidArgumentError, Option } from 'commander';

import { daemonHandlersOf } from '../plugin/daemonHandlersOf.js';
import { DAEMON_VERSION } from '../server/createCoreService.js';
import { type DaemonRuntimeOptions, startDaemon } from '../server/startDaemon.js';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new InvalidArgumentError('must be a port number (0-65535)');
  }
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface CliOptions {
  grpcPort: number;
  grpcHost: string;
  httpPort: number;
  httpHost: string;
  containerdSocket?: string;
  containerdNamespace: string;
  dockerSocket?: string;
  crioSocket?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
  stateDir: string;
  plugin: string[];
  allowedClient: string[];
  nsenter: string;
  logLevel?: string;
}

const program = new Command('chaosplane-daemon')
  .description('Chaosplane per-node chaos daemon: gRPC (mTLS) with plugin handlers, runtime clients, journal')
  .version(DAEMON_VERSION)
  .addOption(new Option('--grpc-port <port>', 'gRPC port').default(31767).argParser(port))
  .addOption(new Option('--grpc-host <host>', 'gRPC listen address').default('0.0.0.0'))
  .addOption(
    new Option('--http-port <port>', 'health (/healthz) and Prometheus (/metrics) port')
      .default(31766)
      .argParser(port),
  )
  .addOption(
    new Option(
      '--http-host <host>',
      'HTTP listen address: loopback by default; in a DaemonSet, the pod IP (what a Prometheus scrape and the kubelet probes reach)',
    ).default('127.0.0.1'),
  )
  .option('--containerd-socket <path>', 'containerd gRPC socket (enables containerd://)')
  .option('--containerd-namespace <ns>', 'containerd namespace', 'k8s.io')
  .option('--docker-socket <path>', 'Docker Engine socket (enables docker://)')
  .option('--crio-socket <path>', 'CRI-O socket (enables cri-o://)')
  .option('--ca <file>', 'CA certificate (PEM) that client certificates must chain to')
  .option('--cert <file>', 'server certificate (PEM)')
  .option('--key <file>', 'server private key (PEM)')
  .option('--insecure', 'serve WITHOUT TLS or client authentication (local development only)', false)
  .option('--state-dir <dir>', 'journal and process logs', '/var/lib/chaosplane-daemon')
  .option(
    '--plugin <name-or-path>',
    'plugin package or .js file with a daemon handler (repeatable)',
    collect,
    [],
  )
  .option(
    '--allowed-client <common-name>',
    'client certificate CN allowed to call (repeatable; default: any certificate of the CA)',
    collect,
    [],
  )
  .option('--nsenter <path>', 'util-linux nsenter binary', 'nsenter')
  .option('--log-level <level>', 'log level (error, warn, info, debug)');

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<CliOptions>();
  const logger = createLogger({
    component: 'daemon',
    ...(options.logLevel ? { level: options.logLevel } : {}),
  });
  const runtimes: DaemonRuntimeOptions = {};
  if (options.containerdSocket) {
    runtimes.containerd = { socketPath: options.containerdSocket, namespace: options.containerdNamespace };
  }
  if (options.dockerSocket) runtimes.docker = { socketPath: options.dockerSocket };
  if (options.crioSocket) runtimes.crio = { socketPath: options.crioSocket };
  if (!runtimes.containerd && !runtimes.docker && !runtimes.crio) {
    runtimes.containerd = {
      socketPath: '/run/containerd/containerd.sock',
      namespace: options.containerdNamespace,
    };
  }
  let tls: Parameters<typeof startDaemon>[0]['tls'];
  if (options.insecure) {
    // Given TLS files, the operator meant mTLS: silently serving without it would be worse.
    const given = (['ca', 'cert', 'key'] as const).filter(name => options[name]);
    if (given.length > 0) {
      throw new ChaosplaneError(
        'invalid',
        `--insecure cannot be combined with ${given.map(g => `--${g}`).join(', ')}: choose mTLS or --insecure`,
        { field: 'insecure' },
      );
    }
    tls = 'insecure';
  } else {
    const missing = (['ca', 'cert', 'key'] as const).filter(name => !options[name]);
    if (missing.length > 0) {
      throw new ChaosplaneError(
        'invalid',
        `mTLS is required: missing ${missing.map(m => `--${m}`).join(', ')} (or pass --insecure for local development)`,
      );
    }
    tls = {
      caPem: readFileSync(options.ca!),
      certPem: readFileSync(options.cert!),
      keyPem: readFileSync(options.key!),
    };
  }
  const plugins = daemonHandlersOf(await loadPlugins(options.plugin));
  const daemon = await startDaemon({
    grpcHost: options.grpcHost,
    grpcPort: options.grpcPort,
    httpHost: options.httpHost,
    httpPort: options.httpPort,
    tls,
    stateDir: options.stateDir,
    runtimes,
    plugins,
    logger,
    nsenterPath: options.nsenter,
    ...(options.allowedClient.length > 0 ? { allowedClients: options.allowedClient } : {}),
  });
  // One machine-readable line for supervisors and tests that ask for port 0.
  logger.info('listening', {
    grpcPort: daemon.grpcPort,
    httpPort: daemon.httpPort,
    recovery: daemon.recovery,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    daemon.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`chaosplane-daemon: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
