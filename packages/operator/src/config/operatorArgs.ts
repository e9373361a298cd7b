// SPDX-License-Identifier: Apache-2.0
// The command line of `chaosplane-operator`: flags, each with an environment fallback
// (CHAOSPLANE_<FLAG>), turned into OperatorOptions with errors that name the flag.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { DaemonClientTls } from '@chaosplane/daemon/client';
import { ChaosplaneError, parseDuration } from '@chaosplane/sdk';
import type { OperatorOptions } from '../operator/OperatorOptions.js';
import { commaList } from './commaList.js';
import { applyEnvironment } from './environmentOptions.js';
import { resolvePluginList } from './pluginList.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags as commander parses them. */
interface OperatorFlags extends SelectionFlags {
  kubeconfig?: string;
  installCrds: boolean;
  leaderElect: boolean;
  leaseName: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  identity?: string;
  httpAddr: string;
  daemonService: string;
  daemonNamespace?: string;
  daemonAddress?: string;
  daemonPort: string;
  daemonCa?: string;
  daemonCert?: string;
  daemonKey?: string;
  daemonServerName: string;
  daemonInsecure: boolean;
  daemonTimeout: string;
  workers: string;
  recordParallelism: string;
  shutdownGrace: string;
}

const env = (name: string) => `CHAOSPLANE_${name}`;

/**
 * The flags `chaosplane-operator` and `chaosplane explain` share: which plugins, the operator's
 * namespace and the selection gates. One definition, so the dry run is configured like the
 * operator it stands for.
 */
export function selectionOptions(): Option[] {
  return [
    new Option('--plugin <name-or-path>', 'plugin package or file (repeatable)')
      .argParser(collect)
      .default([]),
    new Option('--config <file>', 'YAML config with a plugins list').env(env('CONFIG')),
    new Option('--namespace <ns>', "the operator's namespace (always protected)")
      .env('POD_NAMESPACE')
      .default('chaosplane'),
    new Option(
      '--protected-namespaces <list>',
      'comma-separated namespaces never selected (default kube-system,kube-public,kube-node-lease)',
    ),
    new Option('--filter-namespaces', 'only namespaces annotated chaos-mesh.org/inject=enabled are eligible')
      .env(env('FILTER_NAMESPACES'))
      .default(false),
    new Option('--target-namespace <ns>', 'namespace-scoped mode: the only namespace selected from').env(
      env('TARGET_NAMESPACE'),
    ),
  ];
}

/** The shared flags as commander parses them. */
interface SelectionFlags {
  plugin: string[];
  config?: string;
  namespace: string;
  protectedNamespaces?: string;
  filterNamespaces: boolean;
  targetNamespace?: string;
}

/** Plugins, operator namespace and selection gates from a command parsed with {@link selectionOptions}. */
export async function selectionConfigFromCommand(
  command: Command,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<OperatorOptions, 'plugins' | 'namespace' | 'selection'>> {
  const flags = command.opts<SelectionFlags>();
  const filterNamespaces = booleanFlag(command, 'filterNamespaces', 'FILTER_NAMESPACES', env);
  const plugins = await resolvePluginList({
    flags: flags.plugin,
    ...(flags.config !== undefined ? { configFile: flags.config } : {}),
    env,
  });
  return {
    plugins,
    namespace: flags.namespace,
    selection: {
      ...(flags.protectedNamespaces !== undefined
        ? { protectedNamespaces: commaList(flags.protectedNamespaces) }
        : {}),
      filterNamespaces,
      ...(flags.targetNamespace !== undefined ? { targetNamespace: flags.targetNamespace } : {}),
    },
  };
}

/** The flags of how daemons are reached: shared by the operator and `chaosplane explain`. */
export function daemonOptions(): Option[] {
  return [
    new Option('--daemon-service <name>', "the daemon's headless Service").default('chaosplane-daemon'),
    new Option('--daemon-namespace <ns>', "the daemon Service's namespace (default: --namespace)"),
    new Option('--daemon-address <host>', 'dial this host for every node (single-node setups)'),
    new Option('--daemon-port <port>', "the daemon's gRPC port").default('31767'),
    new Option('--daemon-ca <file>', 'CA that signed the daemon certificates').env(env('DAEMON_CA')),
    new Option('--daemon-cert <file>', 'client certificate').env(env('DAEMON_CERT')),
    new Option('--daemon-key <file>', 'client key').env(env('DAEMON_KEY')),
    new Option('--daemon-server-name <name>', "name checked in the daemon's certificate").default(
      'chaosplane-daemon',
    ),
    new Option(
      '--daemon-insecure',
      'plaintext gRPC to daemons started with --insecure (local development only)',
    ).default(false),
    new Option('--daemon-timeout <duration>', 'deadline of every daemon call').default('60s'),
  ];
}

/** The daemon flags as commander parses them. */
export type DaemonFlags = Pick<
  OperatorFlags,
  | 'daemonService'
  | 'daemonNamespace'
  | 'daemonAddress'
  | 'daemonPort'
  | 'daemonCa'
  | 'daemonCert'
  | 'daemonKey'
  | 'daemonServerName'
  | 'daemonInsecure'
  | 'daemonTimeout'
>;

/** How daemons are reached, from the daemon flags (`namespace`: the operator's, the Service's default). */
export function daemonConfigFromFlags(flags: DaemonFlags, namespace: string): OperatorOptions['daemon'] {
  return {
    discovery:
      flags.daemonAddress !== undefined
        ? { kind: 'fixed', host: flags.daemonAddress }
        : {
            kind: 'service',
            namespace: flags.daemonNamespace ?? namespace,
            serviceName: flags.daemonService,
          },
    port: intFlag(flags.daemonPort, 'daemon-port', 1, 65535),
    tls: daemonTls(flags),
    callTimeoutMs: durationFlag(flags.daemonTimeout, 'daemon-timeout'),
  };
}

/** Builds the commander program of `chaosplane-operator` (also used for --help). */
export function operatorCommand(): Command {
  const command = new Command('chaosplane-operator')
    .description('Reconciles chaos objects of the loaded plugins through the Apply/Recover lifecycle')
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: the KUBECONFIG list, in-cluster config, ~/.kube/config)',
      ),
    );
  for (const option of [...selectionOptions(), ...daemonOptions()]) command.addOption(option);
  return command
    .addOption(
      new Option('--install-crds', "create or upgrade the plugins' CRDs at start")
        .env(env('INSTALL_CRDS'))
        .default(false),
    )
    .addOption(
      new Option('--leader-elect', 'run leader election on a Lease').env(env('LEADER_ELECT')).default(false),
    )
    .addOption(new Option('--lease-name <name>', 'the Lease').default('chaosplane-operator'))
    .addOption(new Option('--lease-duration <duration>', 'lease validity').default('15s'))
    .addOption(
      new Option('--renew-deadline <duration>', 'leader steps down after failing to renew this long').default(
        '10s',
      ),
    )
    .addOption(new Option('--retry-period <duration>', 'time between lease attempts').default('2s'))
    .addOption(
      new Option('--identity <id>', 'identity in the Lease (default: hostname and pid)').env('POD_NAME'),
    )
    .addOption(
      new Option('--http-addr <host:port>', '/metrics, /healthz, /readyz')
        .env(env('HTTP_ADDR'))
        .default('0.0.0.0:10080'),
    )
    .addOption(new Option('--workers <n>', 'objects reconciled at once per kind').default('4'))
    .addOption(new Option('--record-parallelism <n>', 'records applied at once per object').default('16'))
    .addOption(
      new Option('--shutdown-grace <duration>', 'time in-flight records get on SIGTERM').default('30s'),
    );
}

function durationFlag(text: string, flag: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error('must be positive');
    return ms;
  } catch (error) {
    throw new ChaosplaneError('invalid', `--${flag} ${JSON.stringify(text)}: ${(error as Error).message}`, {
      field: flag,
    });
  }
}

function intFlag(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ChaosplaneError(
      'invalid',
      `--${flag} ${JSON.stringify(text)} must be an integer in [${min}, ${max}]`,
      { field: flag },
    );
  }
  return value;
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ChaosplaneError('invalid', `--${flag} ${file}: ${(error as Error).message}`, { field: flag });
  }
}

function daemonTls(flags: DaemonFlags): DaemonClientTls | 'insecure' {
  if (flags.daemonInsecure) {
    const given = (['daemonCa', 'daemonCert', 'daemonKey'] as const).filter(k => flags[k] !== undefined);
    if (given.length > 0) {
      throw new ChaosplaneError(
        'invalid',
        '--daemon-insecure cannot be combined with --daemon-ca, --daemon-cert or --daemon-key: choose mTLS or plaintext',
        { field: 'daemon-insecure' },
      );
    }
    return 'insecure';
  }
  const missing = (['daemonCa', 'daemonCert', 'daemonKey'] as const).filter(k => flags[k] === undefined);
  if (missing.length > 0) {
    throw new ChaosplaneError(
      'invalid',
      `mTLS to the daemons needs --daemon-ca, --daemon-cert and --daemon-key (missing ${missing
        .map(k => `--${k.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)
        .join(', ')}); --daemon-insecure is for local development only`,
      { field: 'daemon-ca' },
    );
  }
  return {
    caPem: readPem(flags.daemonCa!, 'daemon-ca'),
    certPem: readPem(flags.daemonCert!, 'daemon-cert'),
    keyPem: readPem(flags.daemonKey!, 'daemon-key'),
    serverName: flags.daemonServerName,
  };
}

/** Boolean switches that also read `CHAOSPLANE_<NAME>`; a flag on the command line wins. */
const BOOLEAN_ENV = {
  installCrds: 'INSTALL_CRDS',
  leaderElect: 'LEADER_ELECT',
} as const;

/** `true`/`false` (also 1/0, yes/no), anything else is an error naming the variable. */
function booleanEnv(name: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no', ''].includes(text)) return false;
  throw new ChaosplaneError('invalid', `${name}=${JSON.stringify(value)} must be true or false`, {
    field: name,
  });
}

/** A boolean switch's value: the command line wins, then `CHAOSPLANE_<suffix>`, then the default. */
function booleanFlag(command: Command, key: string, suffix: string, env: NodeJS.ProcessEnv): boolean {
  const name = `CHAOSPLANE_${suffix}`;
  const value = env[name];
  if (command.getOptionValueSource(key) !== 'cli' && value !== undefined) return booleanEnv(name, value);
  return command.getOptionValue(key) === true;
}

/** Parses `chaosplane-operator` arguments (without `node` and the script) into OperatorOptions. */
export async function parseOperatorArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<OperatorOptions> {
  const command = operatorCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  applyEnvironment(command, env);
  command.parse([...args], { from: 'user' });
  const flags = command.opts<OperatorFlags>();
  for (const [key, suffix] of Object.entries(BOOLEAN_ENV) as Array<[keyof typeof BOOLEAN_ENV, string]>)
    flags[key] = booleanFlag(command, key, suffix, env);
  const { plugins, namespace, selection } = await selectionConfigFromCommand(command, env);
  const leaseDurationMs = durationFlag(flags.leaseDuration, 'lease-duration');
  const renewDeadlineMs = durationFlag(flags.renewDeadline, 'renew-deadline');
  if (renewDeadlineMs >= leaseDurationMs) {
    throw new ChaosplaneError('invalid', '--renew-deadline must be shorter than --lease-duration', {
      field: 'renew-deadline',
    });
  }
  return {
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    plugins,
    namespace,
    installCrds: flags.installCrds,
    ...(flags.leaderElect
      ? {
          leaderElection: {
            leaseName: flags.leaseName,
            ...(flags.identity !== undefined ? { identity: flags.identity } : {}),
            leaseDurationMs,
            renewDeadlineMs,
            retryPeriodMs: durationFlag(flags.retryPeriod, 'retry-period'),
          },
        }
      : {}),
    httpAddress: flags.httpAddr,
    daemon: daemonConfigFromFlags(flags, flags.namespace),
    selection,
    engine: {
      workersPerKind: intFlag(flags.workers, 'workers', 1, 256),
      recordParallelism: intFlag(flags.recordParallelism, 'record-parallelism', 1, 1024),
      shutdownGraceMs: durationFlag(flags.shutdownGrace, 'shutdown-grace'),
    },
  };
}
