// SPDX-License-Identifier: Apache-2.0
import { DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
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

import { ChaosplaneError } from '../errors/ChaosplaneError.js';

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
      kubeConfig: KubeConfig;
      /** Namespace of the daemon's Service. */
      namespace: string;
      /** Name of the headless Service (label kubernetes.io/service-name); `chaosplane-daemon`. */
      serviceName?: string;
    };

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
  /** The chaos object the calls act for; sent as `chaos-namespace` / `chaos-name` metadata. */
  chaos?: { namespace: string; name: string };
  /** Deadline of each call of this client; the pool's `callTimeoutMs` by default. */
  callTimeoutMs?: number;
  /** Cancels finding the daemon (the EndpointSlice lookup); each call takes its own signal. */
  signal?: AbortSignal;
}

/** Typed clients for the daemons of a cluster's nodes, over pooled channels. */
export interface DaemonClientPool {
  /** A client of `definition` (the core service or a plugin's) for the daemon on the target's node. */
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

/**
 * Creates the controller's pool of daemon clients, keyed by node. The daemon of a node is found
 * through the EndpointSlices of the daemon's headless Service (the endpoint whose `nodeName`
 * matches, as Chaos Mesh does), falling back to a pod's `status.hostIP`; channels are reused
 * per address; every call carries a deadline and the chaos object as metadata.
 */
export function createDaemonClientPool(options: DaemonClientPoolOptions): DaemonClientPool {
  const port = options.port ?? DEFAULT_DAEMON_PORT;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const addressTtlMs = options.addressTtlMs ?? 30_000;
  const channels = new Map<string, Channel>();
  const addresses = new Map<string, { host: string; until: number }>();
  const factories = new Map<number, ReturnType<typeof createClientFactory>>();
  const factoryFor = (timeoutMs: number): ReturnType<typeof createClientFactory> => {
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
  factoryFor(callTimeoutMs);
  const lookup = createLookup(options.source);

  async function addressOf(target: DaemonTarget, signal?: AbortSignal): Promise<string> {
    const nodeName = typeof target === 'string' ? target : target.spec?.nodeName;
    const hostIp = typeof target === 'string' ? undefined : target.status?.hostIP;
    if (!nodeName) {
      if (hostIp) return hostPort(hostIp, port);
      throw new ChaosplaneError('invalid', 'the target pod has no spec.nodeName (not scheduled yet)', {
        field: 'spec.nodeName',
      });
    }
    const cached = addresses.get(nodeName);
    if (cached && cached.until > Date.now()) return hostPort(cached.host, port);
    signal?.throwIfAborted();
    const host = (await abortable(lookup(nodeName, signal), signal)) ?? hostIp;
    if (!host) {
      throw new ChaosplaneError(
        'daemon',
        `no chaos daemon found on node ${nodeName}: no ready endpoint of the daemon's Service has nodeName ` +
          `${nodeName} (is the DaemonSet scheduled there?)`,
      );
    }
    addresses.set(nodeName, { host, until: Date.now() + addressTtlMs });
    // The node's daemon moved (a restarted pod, a new IP): close the old channel unless
    // another node's daemon is still reached there, so channels do not pile up.
    if (
      cached &&
      cached.host !== host &&
      ![...addresses.values()].some(entry => entry.host === cached.host)
    ) {
      const stale = hostPort(cached.host, port);
      channels.get(stale)?.close();
      channels.delete(stale);
    }
    return hostPort(host, port);
  }

  function channelFor(address: string): Channel {
    let channel = channels.get(address);
    if (!channel) {
      if (options.tls === 'insecure') {
        channel = createChannel(address, ChannelCredentials.createInsecure());
      } else {
        const { caPem, keyPem, certPem, serverName } = options.tls;
        channel = createChannel(
          address,
          ChannelCredentials.createSsl(caPem, keyPem, certPem),
          serverName
            ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName }
            : {},
        );
      }
      channels.set(address, channel);
    }
    return channel;
  }

  return {
    addressOf,
    async clientFor(target, definition, clientOptions = {}) {
      const channel = channelFor(await addressOf(target, clientOptions.signal));
      const metadata = Metadata();
      if (clientOptions.chaos) {
        metadata.set('chaos-namespace', clientOptions.chaos.namespace);
        metadata.set('chaos-name', clientOptions.chaos.name);
      }
      return factoryFor(clientOptions.callTimeoutMs ?? callTimeoutMs).create(definition, channel, {
        '*': { metadata },
      });
    },
    channelCount: () => channels.size,
    close() {
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}

function createLookup(
  source: DaemonAddressSource,
): (nodeName: string, signal?: AbortSignal) => Promise<string | undefined> {
  if ('resolve' in source) return source.resolve;
  const discovery = source.kubeConfig.makeApiClient(DiscoveryV1Api);
  const serviceName = source.serviceName ?? 'chaosplane-daemon';
  return async nodeName => {
    let slices;
    try {
      slices = await discovery.listNamespacedEndpointSlice({
        namespace: source.namespace,
        labelSelector: `kubernetes.io/service-name=${serviceName}`,
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
