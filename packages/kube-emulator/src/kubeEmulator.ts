// SPDX-License-Identifier: Apache-2.0
/** `startKubeEmulator`: wires storage, API core, controllers, TLS and the HTTPS server together. */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { type Server, createServer } from 'node:https';
import { type AddressInfo } from 'node:net';
import { type Duplex } from 'node:stream';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ApiCore, createApiCore } from './api/apiCore.js';
import { ensureBootstrapPolicy } from './auth/bootstrapPolicy.js';
import { type AuthorizationMode, type RequestAuth, createRequestAuth } from './auth/requestAuth.js';
import { type CreateTokenOptions, type IssuedToken } from './auth/serviceAccountTokens.js';
import { createTokenSigner } from './auth/tokenSigner.js';
import { type Controllers, startControllers } from './api/controllers.js';
import { KubeEmulatorError } from './errors.js';
import { type FaultConfig, type FaultInjector, createFaultInjector } from './faultInjector.js';
import { type ApiHandler, createApiHandler } from './http/apiHandler.js';
import { type KubeletClientOptions } from './http/kubeletProxy.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createResourceRegistry } from './resources/resourceRegistry.js';
import { type ObjectStore, createObjectStore } from './store/objectStore.js';
import { type Persistence, createPersistence } from './store/persistence.js';
import { type WatchHub, createWatchHub } from './store/watchHub.js';
import { type TlsMaterial, ensureTls } from './tls.js';

/** Options of {@link startKubeEmulator}. */
export interface KubeEmulatorOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /**
   * Data directory. With it, every acknowledged write is fsynced before the reply and a
   * restart on the same directory serves the same objects with the same resourceVersions.
   * The CA, server certificate and token are kept there too. Without it, state is in memory.
   */
  dataDir?: string;
  /** Where to write the kubeconfig. Default: a file in a temporary directory removed by stop(). */
  kubeconfigPath?: string;
  /**
   * The admin's bearer token (the kubeconfig's user, `kubernetes-admin` in group
   * `system:masters`: every request allowed). Default: random (persisted in dataDir).
   */
  token?: string;
  /**
   * `RBAC` (default): every request is authorized with the cluster's Roles, ClusterRoles and
   * bindings, as kube-apiserver's `--authorization-mode=RBAC`; `AlwaysAllow`: any authenticated
   * or anonymous request is allowed.
   */
  authorization?: AuthorizationMode;
  /** Initial fault injection (change later through `emulator.faults`). */
  faults?: FaultConfig;
  /** Watch history kept for resuming watches; older resourceVersions get 410 Gone. Default 10,000. */
  watchHistory?: number;
  /** Interval of BOOKMARK events for watches that allow them. Default 60 s (the apiserver's order of magnitude). */
  bookmarkIntervalMs?: number;
  /** Request log lines (method, path, status, duration) and internal errors. */
  log?: (line: string) => void;
  /** Aborts startup. */
  signal?: AbortSignal;
  /** Extra DNS names or IPs the serving certificate names (an address pods dial, say). */
  certificateHosts?: string[];
  /** How `pods/log`, `pods/exec` and `pods/attach` reach kubelets (see http/kubeletProxy.ts). */
  kubeletClient?: KubeletClientOptions;
  /**
   * The clock of the timestamps the server writes (creation, deletion, conditions), in ms since
   * the epoch; `Date.now` by default. Tests share one manual clock with the controllers.
   */
  now?: () => number;
}

/** A running emulator. */
export interface KubeEmulator {
  /** `https://127.0.0.1:PORT` */
  url: string;
  /** Path of the kubeconfig file written at start. */
  kubeconfigPath: string;
  /** The kubeconfig YAML (for `new KubeConfig().loadFromString(...)`). */
  kubeConfig: string;
  /** PEM of the CA that signed the server certificate. */
  caCert: string;
  /** The admin's bearer token in the kubeconfig. */
  token: string;
  /**
   * Issues a ServiceAccount token, as `POST …/serviceaccounts/NAME/token` does (for a kubelet's
   * projected token files, or a kubeconfig of a ServiceAccount): a signed JWT valid while the
   * ServiceAccount (and the object it is bound to) exists. Rejects with a `NotFound`
   * KubeEmulatorError when the ServiceAccount does not exist.
   */
  createToken(namespace: string, serviceAccount: string, options?: CreateTokenOptions): Promise<IssuedToken>;
  /** A kubeconfig like {@link KubeEmulator.kubeConfig} whose user sends `token` instead of the admin's. */
  kubeConfigFor(token: string): string;
  /** Runtime fault injection. */
  faults: FaultInjector;
  /** The current (last assigned) global resourceVersion. */
  readonly resourceVersion: string;
  /** Resolves when background controllers (namespace deletion, garbage collection) are idle. */
  settle(): Promise<void>;
  /** Stops serving, ends open watches, flushes and closes storage, removes temp files. */
  stop(): Promise<void>;
}

/** Internal view used by the CLI and tests. */
export interface KubeEmulatorInternals {
  api: ApiCore;
  auth: RequestAuth;
}

/** KUBE_EMULATOR_LOG=FILE appends the request log to FILE when the options give no `log`. */
function withLogFile(options: KubeEmulatorOptions): KubeEmulatorOptions {
  // A way to see what a test's clients sent without changing the test.
  const logFile = process.env.KUBE_EMULATOR_LOG;
  if (!logFile || options.log) return options;
  return { ...options, log: line => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`) };
}

/** The bearer token: the one given, else the one kept in the PKI directory, else a new one kept there. */
function loadToken(pkiDir: string, given: string | undefined): string {
  if (given) return given;
  const tokenFile = path.join(pkiDir, 'token');
  if (fs.existsSync(tokenFile)) return fs.readFileSync(tokenFile, 'utf8').trim();
  const token = randomBytes(24).toString('hex');
  fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  return token;
}

/** The store and its watch hub, with what `persistence` holds loaded into them. */
function openStore(
  persistence: Persistence | undefined,
  options: KubeEmulatorOptions,
): { hub: WatchHub; store: ObjectStore } {
  const hub = createWatchHub(options.watchHistory ?? 10_000);
  const store = createObjectStore(hub, persistence, options.log);
  hub.reset(0);
  if (persistence) {
    const loaded = persistence.load();
    for (const r of loaded.records) if (r.t === 'put') store.restore(r.s, r.o);
    store.restoreResourceVersion(loaded.resourceVersion);
    hub.replay(loaded.snapshotResourceVersion, loaded.snapshotObjects, loaded.log);
    // History reaches back to the snapshot; with no log it starts at the current version.
    if (hub.lastPublishedRv < store.resourceVersion) hub.reset(store.resourceVersion);
  }
  return { hub, store };
}

/** Requests Node's HTTP parser refuses still get an apiserver-shaped Status. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `malformed HTTP request: ${error.message}`,
    reason: 'BadRequest',
    code: 400,
  });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Starts the HTTPS server; resolves once it listens, with its URL and its open sockets. */
async function listen(
  tls: TlsMaterial,
  handler: ApiHandler,
  options: KubeEmulatorOptions,
): Promise<{ server: Server; sockets: Set<Duplex>; url: string }> {
  const sockets = new Set<Duplex>();
  const server = createServer({ key: tls.serverKey, cert: tls.serverCert }, (req, res) =>
    handler.handle(req, res),
  );
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => handler.handleUpgrade(req, socket, head));
  server.on('tlsClientError', () => undefined);
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl =
    address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address === '0.0.0.0'
        ? '127.0.0.1'
        : address.address;
  return { server, sockets, url: `https://${hostForUrl}:${address.port}` };
}

/** Writes the kubeconfig (creating its directory); returns its path. */
function writeKubeconfig(kubeConfig: string, given: string | undefined, tempDir: () => string): string {
  const kubeconfigPath = given ? path.resolve(given) : path.join(tempDir(), 'kubeconfig');
  fs.mkdirSync(path.dirname(kubeconfigPath), { recursive: true });
  fs.writeFileSync(kubeconfigPath, kubeConfig, { mode: 0o600 });
  return kubeconfigPath;
}

/** The names and addresses the serving certificate adds to localhost: the listen host, `certificateHosts`. */
function certificateHostsOf(options: KubeEmulatorOptions): string[] {
  const host =
    options.host && options.host !== '127.0.0.1' && options.host !== '0.0.0.0' ? [options.host] : [];
  return [...host, ...(options.certificateHosts ?? [])];
}

/** Authentication (the admin token, ServiceAccount tokens signed with a key kept in `pkiDir`) and authorization. */
function startAuth(
  store: ObjectStore,
  adminToken: string,
  pkiDir: string | undefined,
  mode: AuthorizationMode | undefined,
): RequestAuth {
  const signer = createTokenSigner(pkiDir);
  return createRequestAuth({ store, adminToken, signer, ...(mode ? { mode } : {}) });
}

/**
 * Starts an emulator.
 * @example
 * const emulator = await startKubeEmulator();
 * const kc = new KubeConfig();
 * kc.loadFromString(emulator.kubeConfig);
 * const core = kc.makeApiClient(CoreV1Api);
 * await emulator.stop();
 */
export async function startKubeEmulator(
  options: KubeEmulatorOptions = {},
): Promise<KubeEmulator & KubeEmulatorInternals> {
  // A temporary directory only when something has no place of its own (no data dir for the
  // PKI, no kubeconfig path), so a killed emulator with both leaves nothing behind.
  let tempDirPath: string | undefined;
  const tempDir = (): string => (tempDirPath ??= fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-')));
  const removeTempDir = (): void => {
    if (tempDirPath) fs.rmSync(tempDirPath, { recursive: true, force: true });
  };
  options = withLogFile(options);
  // Assigned as soon as they exist, so that a failed start closes them (and frees the data dir).
  let persistence: Persistence | undefined;
  let controllers: Controllers | undefined;
  try {
    const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
    const pkiDir = dataDir ? path.join(dataDir, 'pki') : path.join(tempDir(), 'pki');
    const tls = await ensureTls(pkiDir, certificateHostsOf(options), options.signal);
    const token = loadToken(pkiDir, options.token);
    persistence = dataDir ? createPersistence(path.join(dataDir, 'store')) : undefined;
    const { hub, store } = openStore(persistence, options);
    const api = createApiCore(createResourceRegistry(), store, hub, options.now);
    if (options.bookmarkIntervalMs !== undefined) api.bookmarkIntervalMs = options.bookmarkIntervalMs;
    controllers = startControllers(api, options.log);
    await api.bootstrap();
    await ensureBootstrapPolicy(api);
    // Finish what a crash interrupted: terminating namespaces, dependents of removed owners.
    controllers.resync();
    const faults = createFaultInjector(options.faults);
    const auth = startAuth(store, token, dataDir ? pkiDir : undefined, options.authorization);
    const handler = createApiHandler({
      api,
      faults,
      auth,
      ...(options.log ? { log: options.log } : {}),
      ...(options.kubeletClient ? { kubeletClient: options.kubeletClient } : {}),
    });
    const { server, sockets, url } = await listen(tls, handler, options);
    const kubeConfig = renderKubeconfig({ url, caCert: tls.caCert, token });
    const kubeconfigPath = writeKubeconfig(kubeConfig, options.kubeconfigPath, tempDir);

    let stopped: Promise<void> | undefined;
    const ctl = controllers;
    const pers = persistence;
    return {
      url,
      kubeconfigPath,
      kubeConfig,
      caCert: tls.caCert,
      token,
      faults,
      api,
      auth,
      createToken: (namespace, serviceAccount, tokenOptions) =>
        auth.tokens.createToken(namespace, serviceAccount, tokenOptions),
      kubeConfigFor: userToken => renderKubeconfig({ url, caCert: tls.caCert, token: userToken }),
      get resourceVersion() {
        return String(store.resourceVersion);
      },
      settle: () => ctl.idle(),
      stop() {
        stopped ??= (async () => {
          handler.closeWatches();
          const closed = new Promise<void>(resolve => server.close(() => resolve()));
          for (const s of sockets) s.destroy();
          await closed;
          await ctl.idle();
          ctl.stop();
          await pers?.close();
          removeTempDir();
        })();
        return stopped;
      },
    };
  } catch (error) {
    controllers?.stop();
    await persistence?.close().catch(() => undefined);
    removeTempDir();
    if (KubeEmulatorError.is(error)) throw error;
    throw new KubeEmulatorError('Startup', `kube-emulator failed to start: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
