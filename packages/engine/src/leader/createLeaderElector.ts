// SPDX-License-Identifier: Apache-2.0
// Leader election on a coordination.k8s.io/v1 Lease, after client-go's: a candidate takes the
// lease when it is free or expired, the leader renews it every retry period, and a leader that
// cannot renew within the renew deadline steps down. Expiry is judged on the local clock from
// when this instance last saw the lease change (not from the timestamps in it), so clock skew
// between replicas does not matter. Only the leader reconciles.
import { setTimeout as sleep } from 'node:timers/promises';
import { isConflict } from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';
import type { Lease, LeaseApi } from '../kube/CoreApi.js';

/** The abort reason of a term's signal when the lease was lost (stop at once). */
export const LEADERSHIP_LOST = 'leadership-lost';
/** The abort reason of a term's signal when this instance is stopping (stop gracefully). */
export const LEADERSHIP_RELEASED = 'leadership-released';

/** Settings of the lease. */
export interface LeaderElectionOptions {
  /** Namespace of the Lease. */
  namespace: string;
  /** Name of the Lease; default `chaosplane-controller`. */
  name?: string;
  /** This instance's identity (e.g. the pod name); default hostname + pid. */
  identity?: string;
  /** How long a lease is valid without renewal (ms); default 15 s. */
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long steps down (ms); default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts (ms); default 2 s. */
  retryPeriodMs?: number;
}

/** Callbacks and the API of a {@link LeaderElector}. */
export interface LeaderElectorDeps {
  api: LeaseApi;
  log?: Logger;
  /**
   * Called on winning the lease, with a signal aborted when leadership ends; its reason is
   * {@link LEADERSHIP_LOST} or {@link LEADERSHIP_RELEASED}. On a stop (`RELEASED`) the term may
   * wind down: return a promise of its end, and the lease stays held (and renewed) until it
   * settles, so no other replica starts while this one still has calls in flight. If the lease
   * cannot be renewed meanwhile, `leaseLost` aborts: stop at once.
   */
  onStartedLeading: (signal: AbortSignal, leaseLost: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost, or released on stop). */
  onStoppedLeading: () => void;
}

/** Contends for the lease until stopped. */
export interface LeaderElector {
  /** The identity written into the lease. */
  identity: string;
  /** True while this instance holds the lease. */
  isLeader(): boolean;
  /** Campaigns and leads until `signal` aborts; then releases the lease if held. */
  run(signal: AbortSignal): Promise<void>;
}

/** Creates a {@link LeaderElector}. */
export function createLeaderElector(options: LeaderElectionOptions, deps: LeaderElectorDeps): LeaderElector {
  const name = options.name ?? 'chaosplane-controller';
  const identity = options.identity ?? `${process.env['HOSTNAME'] ?? 'chaosplane'}-${process.pid}`;
  const leaseMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryMs = options.retryPeriodMs ?? 2_000;
  if (!(renewDeadlineMs < leaseMs && retryMs < renewDeadlineMs)) {
    throw new RangeError('leader election needs retryPeriod < renewDeadline < leaseDuration');
  }
  let leading = false;
  let observed: { record: string; at: number } | undefined;
  let lastHolder: string | null | undefined;

  const describe = (lease: Lease) =>
    JSON.stringify([lease.spec.holderIdentity, lease.spec.renewTime, lease.spec.leaseTransitions]);

  /** One attempt to acquire or renew; true when we hold the lease afterwards. */
  const tryAcquireOrRenew = async (signal: AbortSignal): Promise<boolean> => {
    const nowIso = new Date().toISOString();
    const seconds = Math.max(1, Math.ceil(leaseMs / 1000));
    const current = await deps.api.get(options.namespace, name, signal);
    if (!current) {
      try {
        await deps.api.create(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace: options.namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: seconds,
              acquireTime: nowIso,
              renewTime: nowIso,
              leaseTransitions: 0,
            },
          },
          signal,
        );
        observed = undefined;
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const record = describe(current);
    if (!observed || observed.record !== record) observed = { record, at: Date.now() };
    const holder = current.spec.holderIdentity;
    lastHolder = holder;
    const heldByUs = holder === identity;
    const expired = !holder || Date.now() > observed.at + leaseMs;
    if (!heldByUs && !expired) return false;
    const next: Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        renewTime: nowIso,
        ...(heldByUs
          ? {}
          : {
              acquireTime: nowIso,
              leaseTransitions: (current.spec.leaseTransitions ?? 0) + (holder ? 1 : 0),
            }),
      },
    };
    try {
      const written = await deps.api.update(next, signal);
      observed = { record: describe(written), at: Date.now() };
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  };

  const attempt = async (signal: AbortSignal) => {
    try {
      return await tryAcquireOrRenew(signal);
    } catch (error) {
      if (!signal.aborted)
        deps.log?.warn('lease request failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      return false;
    }
  };

  const release = async () => {
    try {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 2_000);
      const current = await deps.api.get(options.namespace, name, controller.signal);
      if (current?.spec.holderIdentity === identity) {
        // An empty holder lets the next candidate take over at once, not after the lease expires.
        await deps.api.update(
          { ...current, spec: { ...current.spec, holderIdentity: null, renewTime: null } },
          controller.signal,
        );
      }
      clearTimeout(timer);
    } catch (error) {
      deps.log?.debug('lease not released', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  /**
   * Keeps renewing the lease until `ended` settles; false when a renewal failed until the renew
   * deadline (or another holder appeared), i.e. the lease can no longer be counted on.
   */
  const holdUntil = async (ended: Promise<void>, renewedAt: number): Promise<boolean> => {
    let settled = false;
    const done = ended.then(
      () => (settled = true),
      () => (settled = true),
    );
    let lastRenew = renewedAt;
    while (!settled) {
      const deadline = lastRenew + renewDeadlineMs;
      const wait = new AbortController();
      await Promise.race([
        done,
        sleep(Math.max(0, Math.min(retryMs, deadline - Date.now())), undefined, {
          signal: wait.signal,
        }).catch(() => undefined),
      ]);
      wait.abort();
      if (settled) return true;
      if (Date.now() >= deadline) return false;
      const sentAt = Date.now();
      if (await attempt(AbortSignal.timeout(Math.max(1, deadline - sentAt)))) lastRenew = sentAt;
      else if (lastHolder && lastHolder !== identity) return false;
    }
    return true;
  };

  return {
    identity,
    isLeader: () => leading,
    async run(signal) {
      while (!signal.aborted) {
        // Campaign. A renewal counts from when its request was sent, not from the answer.
        const campaignSentAt = Date.now();
        if (!(await attempt(signal))) {
          try {
            await sleep(retryMs * (1 + Math.random() * 0.2), undefined, { signal });
          } catch {
            break;
          }
          continue;
        }
        leading = true;
        deps.log?.info('became leader', { lease: `${options.namespace}/${name}`, identity });
        const term = new AbortController();
        const leaseLost = new AbortController();
        const started: unknown = deps.onStartedLeading(term.signal, leaseLost.signal);
        // Only a promise is waited for (a JavaScript caller may return anything).
        const termEnded = started instanceof Promise ? (started as Promise<void>) : undefined;
        // Lead: renew every retry period; step down once renewals have failed until the renew
        // deadline. Every request is cut off at that deadline, so a hanging API server cannot
        // keep us leading past it (renewDeadline < leaseDuration: another replica can take
        // over only after we stopped).
        let lastRenew = campaignSentAt;
        while (!signal.aborted) {
          const deadline = lastRenew + renewDeadlineMs;
          try {
            await sleep(Math.max(0, Math.min(retryMs, deadline - Date.now())), undefined, { signal });
          } catch {
            break;
          }
          if (Date.now() >= deadline) break;
          const sentAt = Date.now();
          const bounded = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - sentAt))]);
          if (await attempt(bounded)) lastRenew = sentAt;
          // Someone else holds the lease (we were too slow): step down at once.
          else if (lastHolder && lastHolder !== identity) break;
          else if (Date.now() >= deadline) break;
        }
        leading = false;
        // The reason tells the engine whether to wind down gracefully (we are stopping and
        // still hold the lease) or at once (another replica may already be leading).
        const stopping = signal.aborted;
        term.abort(stopping ? LEADERSHIP_RELEASED : LEADERSHIP_LOST);
        if (!stopping) leaseLost.abort(LEADERSHIP_LOST);
        deps.onStoppedLeading();
        if (stopping) {
          // Hold the lease until the term has wound down: releasing it first would let the
          // next leader apply and write records while this term's last calls still run.
          if (termEnded !== undefined && !(await holdUntil(termEnded, lastRenew))) {
            leaseLost.abort(LEADERSHIP_LOST);
            deps.log?.warn('lease lost while stopping; in-flight calls aborted', { identity });
            await termEnded.catch(() => undefined);
            break;
          }
          await release();
          break;
        }
        deps.log?.warn('lost leadership', { identity });
      }
    },
  };
}
