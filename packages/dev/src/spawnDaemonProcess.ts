// SPDX-License-Identifier: Apache-2.0
// The daemon as its own process, confined to a capability set: what a DaemonSet's
// securityContext (`capabilities: {drop: [ALL], add: [...]}`) gives a root container. The
// in-process daemon of `chaosplane dev` has every capability the caller has, so a capability
// missing from deploy/daemon.yaml would go unnoticed there.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';

/** Options of {@link spawnDaemonProcess}. */
export interface DaemonProcessOptions {
  /**
   * Capabilities in Kubernetes spelling (`SYS_ADMIN`, `CAP_KILL` also accepted). The daemon and
   * everything it starts get exactly these in their bounding set, and nothing inheritable.
   */
  capabilities: readonly string[];
  /** containerd socket and namespace. */
  containerd: { socketPath: string; namespace: string };
  /** Directory holding ca.crt, server.crt and server.key (mintCertificates' layout). */
  certsDir: string;
  stateDir: string;
  plugins: readonly string[];
  /** Plugin names are resolved from here (the daemon's working directory). */
  pluginsFrom: string;
  allowedClients: readonly string[];
  /** The daemon's JSON lines are written to this logger. */
  log: Logger;
  /** Aborting stops waiting for the daemon to listen (and kills it). */
  signal: AbortSignal;
  /** The gRPC port; one the kernel chooses by default (a restart passes the first one's). */
  grpcPort?: number;
}

/** A daemon running as a child process. */
export interface DaemonProcess {
  /** Process id of the daemon itself (setpriv execs it, so this is the Node process). */
  pid: number;
  grpcPort: number;
  /** SIGTERM (graceful: the daemon recovers what it injected), SIGKILL after 20 s. */
  close(): Promise<void>;
  /** Sends `signal` (SIGKILL: a crash, nothing recovered) and waits until the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** A capability name as Kubernetes writes it (`SYS_ADMIN`), or with the `CAP_` prefix. */
const CAPABILITY = /^(CAP_)?[A-Z][A-Z_]*$/;

/**
 * The `setpriv` argv prefix that confines a command to `capabilities` (Kubernetes names): the
 * bounding set holds exactly them; as root, permitted and effective then equal it after exec.
 */
export function capabilityBoundingPrefix(capabilities: readonly string[]): string[] {
  const names = capabilities.map((name, index) => {
    if (!CAPABILITY.test(name)) {
      throw new ChaosplaneError(
        'invalid',
        `daemonCapabilities[${index}] ${JSON.stringify(name)} is not a capability name like SYS_ADMIN`,
        { field: `daemonCapabilities[${index}]` },
      );
    }
    return name.replace(/^CAP_/, '').toLowerCase();
  });
  return [
    'setpriv',
    `--bounding-set=${['-all', ...names.map(n => `+${n}`)].join(',')}`,
    '--inh-caps=-all',
    '--',
  ];
}

/**
 * The built `chaosplane-daemon` entry point: the `bin` of the @chaosplane/daemon package found
 * above wherever its main module resolves to (dist in production, src under a test runner).
 */
function daemonBinary(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@chaosplane/daemon'));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new ChaosplaneError('runtime', 'cannot find the @chaosplane/daemon package');
    dir = parent;
  }
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    bin?: Record<string, string>;
  };
  const bin = manifest.bin?.['chaosplane-daemon'];
  if (bin === undefined)
    throw new ChaosplaneError('runtime', `${dir}/package.json has no chaosplane-daemon bin`);
  return path.join(dir, bin);
}

/** The daemon's command line after the setpriv prefix: loopback, kernel-chosen ports, `options`. */
function daemonArgs(options: DaemonProcessOptions): string[] {
  return [
    process.execPath,
    daemonBinary(),
    '--grpc-host=127.0.0.1',
    `--grpc-port=${options.grpcPort ?? 0}`,
    '--http-host=127.0.0.1',
    '--http-port=0',
    `--containerd-socket=${options.containerd.socketPath}`,
    `--containerd-namespace=${options.containerd.namespace}`,
    `--ca=${path.join(options.certsDir, 'ca.crt')}`,
    `--cert=${path.join(options.certsDir, 'server.crt')}`,
    `--key=${path.join(options.certsDir, 'server.key')}`,
    `--state-dir=${options.stateDir}`,
    ...options.plugins.map(p => `--plugin=${p}`),
    ...options.allowedClients.map(c => `--allowed-client=${c}`),
  ];
}

/**
 * Forwards the daemon's JSON log lines (stdout) to `log`, a line that is not JSON as info text;
 * resolves with the gRPC port of its `listening` line.
 */
function forwardLogUntilListening(stdout: Readable, log: Logger): Promise<number> {
  let listening: ((port: number) => void) | undefined;
  const port = new Promise<number>(resolve => (listening = resolve));
  let pending = '';
  stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const text of lines.filter(Boolean)) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        log.info(text);
        continue;
      }
      const { level, message, timestamp: _timestamp, component: _component, ...fields } = line;
      forward(log, String(level), String(message), fields);
      if (message === 'listening' && typeof fields['grpcPort'] === 'number') listening?.(fields['grpcPort']);
    }
  });
  return port;
}

/** Rejects once `signal` aborts (at once if it already has). */
function abortedWhileStarting(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const onAbort = (): void =>
      reject(new ChaosplaneError('runtime', 'aborted while the daemon was starting'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Starts the built `chaosplane-daemon` under `setpriv` with `capabilities`, on 127.0.0.1 with
 * ports chosen by the kernel, and resolves once it listens.
 */
export async function spawnDaemonProcess(options: DaemonProcessOptions): Promise<DaemonProcess> {
  const [command, ...prefixArgs] = capabilityBoundingPrefix(options.capabilities);
  const child = spawn(command!, [...prefixArgs, ...daemonArgs(options)], {
    cwd: options.pluginsFrom,
    env: { ...process.env, LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const port = forwardLogUntilListening(child.stdout, options.log);

  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const aborted = abortedWhileStarting(options.signal);
  const failed = exited.then(code => {
    throw new ChaosplaneError(
      'runtime',
      `chaosplane-daemon (under ${command}) exited with code ${String(code)} before listening: ${stderr.trim()}`,
    );
  });
  try {
    const grpcPort = await Promise.race([port, failed, aborted]);
    failed.catch(() => undefined);
    aborted.catch(() => undefined);
    const kill = async (signal: NodeJS.Signals): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    };
    return { pid: child.pid!, grpcPort, close, kill };
  } catch (error) {
    failed.catch(() => undefined);
    aborted.catch(() => undefined);
    await close();
    throw error;
  }
}

/** Writes a child's JSON log line to `log` at the line's level (info for an unknown one). */
function forward(log: Logger, level: string, message: string, fields: Record<string, unknown>): void {
  if (level === 'debug') log.debug(message, fields);
  else if (level === 'warn') log.warn(message, fields);
  else if (level === 'error') log.error(message, fields);
  else log.info(message, fields);
}
