// SPDX-License-Identifier: Apache-2.0
import { isNotFound, type KubeConnection } from '@chaosplane/kube';

/** A `core/v1` Event as the engine writes it. */
export interface KubeEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  eventTime?: null;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
}

/** A `coordination.k8s.io/v1` Lease. */
export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** Events: create, and count a repeat on an existing one. */
export interface EventApi {
  /** Creates one Event. */
  create(event: KubeEvent, signal: AbortSignal): Promise<void>;
  /**
   * Records a repeat of an Event (`count` and `lastTimestamp`, a merge patch); rejects with
   * `not-found` when the Event is gone (expired), so the caller creates it again.
   */
  repeat(
    event: { namespace: string; name: string; count: number; lastTimestamp: string },
    signal: AbortSignal,
  ): Promise<void>;
}

/** Leases: get, create and replace (with resourceVersion). */
export interface LeaseApi {
  /** The lease, or undefined. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined>;
  /** Creates the lease; 409 when someone else created it first. */
  create(lease: Lease, signal: AbortSignal): Promise<Lease>;
  /** Replaces the lease; 409 on a stale resourceVersion. */
  update(lease: Lease, signal: AbortSignal): Promise<Lease>;
}

/** An {@link EventApi} over HTTPS. */
export function createEventApi(client: KubeConnection): EventApi {
  return {
    async create(event, signal) {
      await client.request(
        'POST',
        `/api/v1/namespaces/${encodeURIComponent(event.metadata.namespace)}/events`,
        {
          body: event,
          signal,
        },
      );
    },
    async repeat(event, signal) {
      const path = `/api/v1/namespaces/${encodeURIComponent(event.namespace)}/events/${encodeURIComponent(event.name)}`;
      await client.request('PATCH', path, {
        body: { count: event.count, lastTimestamp: event.lastTimestamp },
        contentType: 'application/merge-patch+json',
        signal,
      });
    },
  };
}

/** A {@link LeaseApi} over HTTPS. */
export function createLeaseApi(client: KubeConnection): LeaseApi {
  const path = (namespace: string, name?: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;
  return {
    async get(namespace, name, signal) {
      try {
        return await client.request<Lease>('GET', path(namespace, name), { signal, timeoutMs: 5_000 });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    create(lease, signal) {
      return client.request<Lease>('POST', path(lease.metadata.namespace), {
        body: lease,
        signal,
        timeoutMs: 5_000,
      });
    },
    update(lease, signal) {
      return client.request<Lease>('PUT', path(lease.metadata.namespace, lease.metadata.name), {
        body: lease,
        signal,
        timeoutMs: 5_000,
      });
    },
  };
}
