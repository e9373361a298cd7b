// SPDX-License-Identifier: Apache-2.0
import {
  ChaosplaneError,
  type DaemonClient,
  type DaemonServiceDefinition,
  type KubeClient,
  type PodTarget,
} from '@chaosplane/sdk';
import type { DaemonCall, DaemonConnector } from '@chaosplane/sdk/framework';
import { isAbortError } from 'abort-controller-x';
import {
  type Channel,
  ChannelCredentials,
  type Client,
  ClientError,
  type ClientMiddleware,
  type CompatServiceDefinition,
  createChannel,
  createClientFactory,
  Metadata,
  Status,
} from 'nice-grpc';

import { CALL_METADATA } from '../callMetadataKeys.js';
import { daemonCallError } from '../grpcStatus.js';

/** `host:port`, with an IPv6 address in brackets (`[::1]:31767`), as gRPC target syntax needs. */
function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The daemon's default gRPC port (Chaos Mesh's too). */
export const DEFAULT_DAEMON_PORT = 31767;

/** A node name, or a pod (its `spec.nodeName`, with `status.hostIP` as the fallback address). */
export type DaemonTarget = string | { spec?: { nodeName?: string }; status?: { hostIP?: string } };

/** Client-side mTLS material (PEM). */
export interface DaemonClientTls {
  caPem: Buffer;
  certPem: Buffer;
  keyPem: Buffer;
  /**
   * Name the daemon's certificate is checked against when the dialled address is an IP
   * (EndpointSlice addresses are); the dialled host when unset.
   */
  serverName?: string;
}

/** Where daemons are found: a function, or the EndpointSlices of the daemon's headless Service. */
export type DaemonAddressSource =
  | { resolve: (nodeName: string, signal?: AbortSignal) => Promise<string | undefined> }
  | {
      kube: KubeClient;
      /** Namespace of the daemon's Service. */
      namespace: string;
      /** Name of the headless Service (label kubernetes.io/service-name); `chaosplane-daemon`. */
      serviceName?: string;
    };

/** The fields of a discovery.k8s.io/v1 EndpointSliceList the lookup reads. */
interface EndpointSliceList {
  items: { endpoints?: { addresses: string[]; nodeName?: string; conditions?: { ready?: boolean } }[] }[];
}

/** Options of {@link createDaemonClientPool}. */
export interface DaemonClientPoolOptions {
  source: DaemonAddressSource;
  /** The daemon's gRPC port; 31767 by default. */
  port?: number;
  /** mTLS material, or `'insecure'` for a daemon started with --insecure. */
  tls: DaemonClientTls | 'insecure';
  /** Deadline of every call; 60 s by default. */
  callTimeoutMs?: number;
  /** How long a resolved node address is reused; 30 s by default. */
  addressTtlMs?: number;
}

/** Options of {@link DaemonClientPool.clientFor}. */
export interface DaemonClientOptions {
  /** The chaos object the calls act for; sent as `chaos-namespace` / `chaos-name` / `chaos-uid` metadata. */
  chaos?: { namespace: string; name: string; uid?: string };
  /** The record the calls act for (`chaos-record`): the daemon keys journaled changes by it. */
  record?: string;
  /** When the fault must end (ms since epoch, `chaos-deadline`): the daemon's own deadline. */
  deadlineMs?: number;
  /** Deadline of each call of this client; the pool's `callTimeoutMs` by default. */
  callTimeoutMs?: number;
  /** Cancels finding the daemon (the EndpointSlice lookup); each call takes its own signal. */
  signal?: AbortSignal;
}

/**
 * Typed clients for the daemons of a cluster's nodes, over pooled channels. As the engine's
 * `DaemonConnector` (@chaosplane/sdk/framework) it makes the clients of `ctx.daemon`, whose failures are
 * `ChaosplaneError`s named after the daemon's status.
 */
export interface DaemonClientPool extends DaemonConnector {
  /**
   * A nice-grpc client of `definition` (the core service or a plugin's) for the daemon on the
   * target's node; failures are nice-grpc `ClientError`s.
   */
  clientFor<Service extends CompatServiceDefinition>(
    target: DaemonTarget,
    definition: Service,
    options?: DaemonClientOptions,
  ): Promise<Client<Service>>;
  /** The `host:port` the target's daemon is dialled at. */
  addressOf(target: DaemonTarget, signal?: AbortSignal): Promise<string>;
  /** Number of open pooled channels (one per daemon address). */
  channelCount(): number;
  /** Closes every pooled channel. */
  close(): void;
}

function deadlineMiddleware(timeoutMs: number): ClientMiddleware {
  return async function* withDeadline(call, options) {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    // A signal that is already aborted never fires 'abort' again: pass it on now.
    if (options.signal?.aborted) controller.abort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return yield* call.next(call.request, { ...options, signal: controller.signal });
    } catch (error) {
      if (timedOut && isAbortError(error)) {
        throw new ClientError(call.method.path, Status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  };
}

/** What a pool's functions share: its settings, its pooled channels and its address cache. */
interface PoolState {
  port: number;
  addressTtlMs: number;
  tls: DaemonClientTls | 'insecure';
  lookup: (nodeName: string, signal?: AbortSignal) => Promise<string | undefined>;
  /** Open channels by `host:port`. */
  channels: Map<string, Channel>;
  /** Resolved daemon hosts by node name, each until it must be looked up again. */
  addresses: Map<string, { host: string; until: number }>;
}

/** A client factory per call timeout, made on first use; throws on a timeout that is not positive. */
function createFactoryCache(): (timeoutMs: number) => ReturnType<typeof createClientFactory> {
  const factories = new Map<number, ReturnType<typeof createClientFactory>>();
  return timeoutMs => {
    let factory = factories.get(timeoutMs);
    if (!factory) {
      if (!(timeoutMs > 0)) {
        throw new ChaosplaneError('invalid', 'callTimeoutMs must be a positive number', {
          field: 'callTimeoutMs',
        });
      }
      factory = createClientFactory().use(deadlineMiddleware(timeoutMs));
      factories.set(timeoutMs, factory);
    }
    return factory;
  };
}

/** The `host:port` of the target's daemon: cached per node, else looked up (host IP as the fallback). */
async function resolveAddress(state: PoolState, target: DaemonTarget, signal?: AbortSignal): Promise<string> {
  const nodeName = typeof target === 'string' ? target : target.spec?.nodeName;
  const hostIp = typeof target === 'string' ? undefined : target.status?.hostIP;
  if (!nodeName) {
    if (hostIp) return hostPort(hostIp, state.port);
    throw new ChaosplaneError('invalid', 'the target pod has no spec.nodeName (not scheduled yet)', {
      field: 'spec.nodeName',
    });
  }
  const cached = state.addresses.get(nodeName);
  if (cached && cached.until > Date.now()) return hostPort(cached.host, state.port);
  signal?.throwIfAborted();
  const host = (await abortable(state.lookup(nodeName, signal), signal)) ?? hostIp;
  if (!host) {
    throw new ChaosplaneError(
      'daemon',
      `no chaos daemon found on node ${nodeName}: no ready endpoint of the daemon's Service has nodeName ` +
        `${nodeName} (is the DaemonSet scheduled there?)`,
    );
  }
  state.addresses.set(nodeName, { host, until: Date.now() + state.addressTtlMs });
  if (cached && cached.host !== host) closeUnusedChannel(state, cached.host);
  return hostPort(host, state.port);
}

/** Drops the cached address of the target's node: the next call looks it up again. */
function forgetAddress(state: PoolState, target: DaemonTarget): void {
  const nodeName = typeof target === 'string' ? target : target.spec?.nodeName;
  const cached = nodeName ? state.addresses.get(nodeName) : undefined;
  // Expired rather than deleted: a lookup that finds another host then closes the old channel.
  if (cached) cached.until = 0;
}

/** Closes the channel to `host` unless a node's daemon is still reached there. */
function closeUnusedChannel(state: PoolState, host: string): void {
  // The node's daemon moved (a restarted pod, a new IP): close the old channel unless
  // another node's daemon is still reached there, so channels do not pile up.
  if ([...state.addresses.values()].some(entry => entry.host === host)) return;
  const stale = hostPort(host, state.port);
  state.channels.get(stale)?.close();
  state.channels.delete(stale);
}

/** The pooled channel to `address`, opened (with the pool's credentials) on first use. */
function channelFor(state: PoolState, address: string): Channel {
  let channel = state.channels.get(address);
  if (!channel) {
    channel = openChannel(address, state.tls);
    state.channels.set(address, channel);
  }
  return channel;
}

/** A new channel to `address`: insecure, or mTLS checked against `serverName` when one is given. */
function openChannel(address: string, tls: DaemonClientTls | 'insecure'): Channel {
  if (tls === 'insecure') return createChannel(address, ChannelCredentials.createInsecure());
  const { caPem, keyPem, certPem, serverName } = tls;
  return createChannel(
    address,
    ChannelCredentials.createSsl(caPem, keyPem, certPem),
    serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {},
  );
}

/** {@link DaemonClientPool.clientFor} with its target and options already given. */
type ClientFor = <Service extends CompatServiceDefinition>(
  target: DaemonTarget,
  definition: Service,
  clientOptions?: DaemonClientOptions,
) => Promise<Client<Service>>;

/**
 * The engine's client of `definition` for `call` ({@link DaemonConnector.client}): each method
 * resolves the daemon when called, and fails with a `ChaosplaneError` named after the status.
 */
function engineClientOf<D extends DaemonServiceDefinition>(
  clientFor: ClientFor,
  forget: (target: DaemonTarget) => void,
  definition: D,
  call: DaemonCall,
): DaemonClient<D> {
  const target = daemonTargetOf(call.target);
  const where = `daemon on node ${call.target.nodeName ?? '(unscheduled)'}`;
  const options: DaemonClientOptions = {
    chaos: call.chaos,
    record: call.record,
    ...(call.deadlineMs !== undefined ? { deadlineMs: call.deadlineMs } : {}),
    signal: call.signal,
  };
  // Methods resolve the daemon lazily, so `ctx.daemon(Def)` itself never waits or fails.
  const methods = Object.keys(definition.methods).map(method => {
    const invoke = async (request: unknown, callOptions: { signal?: AbortSignal } = {}) => {
      const signal = callOptions.signal ?? call.signal;
      const typed = await clientFor(target, definition as unknown as CompatServiceDefinition, {
        ...options,
        signal,
      });
      try {
        return await (typed as unknown as Record<string, UnaryMethod>)[method]!(request, { signal });
      } catch (error) {
        if (error instanceof ClientError) {
          // Unreachable: the node's daemon may be another pod now (a DaemonSet replaced it, with
          // a new pod IP); the next call looks its address up again instead of reusing it.
          if (error.code === Status.UNAVAILABLE) forget(target);
          throw daemonCallError(where, error.code, error.details, error);
        }
        if (isAbortError(error))
          throw new ChaosplaneError('aborted', `${where}: ${method} was cancelled`, { cause: error });
        throw error;
      }
    };
    return [method, invoke] as const;
  });
  return Object.fromEntries(methods) as DaemonClient<D>;
}

/**
 * Creates the controller's pool of daemon clients, keyed by node. The daemon of a node is found
 * through the EndpointSlices of the daemon's headless Service (the endpoint whose `nodeName`
 * matches, as Chaos Mesh does), falling back to a pod's `status.hostIP`; channels are reused
 * per address; every call carries a deadline and the chaos object as metadata.
 */
export function createDaemonClientPool(options: DaemonClientPoolOptions): DaemonClientPool {
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const factoryFor = createFactoryCache();
  factoryFor(callTimeoutMs);
  const state: PoolState = {
    port: options.port ?? DEFAULT_DAEMON_PORT,
    addressTtlMs: options.addressTtlMs ?? 30_000,
    tls: options.tls,
    lookup: createLookup(options.source),
    channels: new Map(),
    addresses: new Map(),
  };
  const addressOf = (target: DaemonTarget, signal?: AbortSignal): Promise<string> =>
    resolveAddress(state, target, signal);

  const clientFor: ClientFor = async (target, definition, clientOptions = {}) => {
    const channel = channelFor(state, await addressOf(target, clientOptions.signal));
    return factoryFor(clientOptions.callTimeoutMs ?? callTimeoutMs).create(definition, channel, {
      '*': { metadata: callMetadata(clientOptions) },
    });
  };

  return {
    addressOf,
    clientFor,
    forgetNode: nodeName => forgetAddress(state, nodeName),
    client: (definition, call) =>
      engineClientOf(clientFor, target => forgetAddress(state, target), definition, call),
    channelCount: () => state.channels.size,
    close() {
      for (const channel of state.channels.values()) channel.close();
      state.channels.clear();
    },
  };
}

/** A unary nice-grpc client method. */
type UnaryMethod = (request: unknown, options: { signal?: AbortSignal }) => Promise<unknown>;

/** The metadata a call carries: who it acts for, and until when. */
function callMetadata(options: DaemonClientOptions): Metadata {
  const metadata = Metadata();
  if (options.chaos) {
    metadata.set(CALL_METADATA.chaosNamespace, options.chaos.namespace);
    metadata.set(CALL_METADATA.chaosName, options.chaos.name);
    if (options.chaos.uid) metadata.set(CALL_METADATA.chaosUid, options.chaos.uid);
  }
  if (options.record !== undefined) metadata.set(CALL_METADATA.record, options.record);
  if (options.deadlineMs !== undefined)
    metadata.set(CALL_METADATA.deadline, String(Math.floor(options.deadlineMs)));
  return metadata;
}

/** Where a target's daemon is: its pod (node name, host IP fallback), or its node. */
function daemonTargetOf(target: DaemonCall['target']): DaemonTarget {
  const pod = (target as Partial<PodTarget>).pod;
  if (pod !== undefined) return pod;
  return target.nodeName ?? '';
}

function createLookup(
  source: DaemonAddressSource,
): (nodeName: string, signal?: AbortSignal) => Promise<string | undefined> {
  if ('resolve' in source) return source.resolve;
  const serviceName = source.serviceName ?? 'chaosplane-daemon';
  const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(source.namespace)}/endpointslices`;
  return async (nodeName, signal) => {
    let slices: EndpointSliceList;
    try {
      slices = await source.kube.request<EndpointSliceList>('GET', path, {
        query: { labelSelector: `kubernetes.io/service-name=${serviceName}` },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw new ChaosplaneError(
        'daemon',
        `could not list the EndpointSlices of Service ${source.namespace}/${serviceName} to find the daemon on ` +
          `node ${nodeName}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    for (const slice of slices.items) {
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.nodeName === nodeName && endpoint.conditions?.ready !== false && endpoint.addresses[0]) {
          return endpoint.addresses[0];
        }
      }
    }
    return undefined;
  };
}

/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts. Not
 * abort-controller-x's `abortable`, which rejects with a bare AbortError: callers pass the
 * engine's signal, whose reason says why (shutdown, leadership lost).
 */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      value => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
