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

/** A candidate's settings and what it has seen of the lease. */
interface Candidate {
  namespace: string;
  name: string;
  identity: string;
  leaseMs: number;
  renewDeadlineMs: number;
  retryMs: number;
  deps: LeaderElectorDeps;
  leading: boolean;
  /** The lease as last seen, and when it last changed (on the local clock). */
  observed: { record: string; at: number } | undefined;
  /** The holder of the lease when last read. */
  lastHolder: string | null | undefined;
}

/** Creates a {@link LeaderElector}. */
export function createLeaderElector(options: LeaderElectionOptions, deps: LeaderElectorDeps): LeaderElector {
  const candidate: Candidate = {
    namespace: options.namespace,
    name: options.name ?? 'chaosplane-controller',
    identity: options.identity ?? `${process.env['HOSTNAME'] ?? 'chaosplane'}-${process.pid}`,
    leaseMs: options.leaseDurationMs ?? 15_000,
    renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
    retryMs: options.retryPeriodMs ?? 2_000,
    deps,
    leading: false,
    observed: undefined,
    lastHolder: undefined,
  };
  const { leaseMs, renewDeadlineMs, retryMs } = candidate;
  if (!(renewDeadlineMs < leaseMs && retryMs < renewDeadlineMs)) {
    throw new RangeError('leader election needs retryPeriod < renewDeadline < leaseDuration');
  }
  return {
    identity: candidate.identity,
    isLeader: () => candidate.leading,
    run: signal => runElection(candidate, signal),
  };
}

/** What identifies one state of the lease: a change of any of these renews or moves it. */
const describe = (lease: Lease) =>
  JSON.stringify([lease.spec.holderIdentity, lease.spec.renewTime, lease.spec.leaseTransitions]);

/** One attempt to acquire or renew; true when we hold the lease afterwards. */
async function tryAcquireOrRenew(candidate: Candidate, signal: AbortSignal): Promise<boolean> {
  const { deps, identity } = candidate;
  const nowIso = new Date().toISOString();
  const seconds = Math.max(1, Math.ceil(candidate.leaseMs / 1000));
  const current = await deps.api.get(candidate.namespace, candidate.name, signal);
  if (!current) return createLease(candidate, nowIso, seconds, signal);
  const record = describe(current);
  if (!candidate.observed || candidate.observed.record !== record)
    candidate.observed = { record, at: Date.now() };
  const holder = current.spec.holderIdentity;
  candidate.lastHolder = holder;
  const heldByUs = holder === identity;
  const expired = !holder || Date.now() > candidate.observed.at + candidate.leaseMs;
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
    candidate.observed = { record: describe(written), at: Date.now() };
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/** Creates the lease, held by us; false when another candidate created it first. */
async function createLease(
  candidate: Candidate,
  nowIso: string,
  seconds: number,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await candidate.deps.api.create(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: candidate.name, namespace: candidate.namespace },
        spec: {
          holderIdentity: candidate.identity,
          leaseDurationSeconds: seconds,
          acquireTime: nowIso,
          renewTime: nowIso,
          leaseTransitions: 0,
        },
      },
      signal,
    );
    candidate.observed = undefined;
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/** {@link tryAcquireOrRenew}, with a failed request logged and counted as not holding. */
async function attempt(candidate: Candidate, signal: AbortSignal): Promise<boolean> {
  try {
    return await tryAcquireOrRenew(candidate, signal);
  } catch (error) {
    if (!signal.aborted)
      candidate.deps.log?.warn('lease request failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    return false;
  }
}

/** Gives the lease up if we still hold it; a failure is only logged (the lease expires). */
async function release(candidate: Candidate): Promise<void> {
  const { deps } = candidate;
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2_000);
    const current = await deps.api.get(candidate.namespace, candidate.name, controller.signal);
    if (current?.spec.holderIdentity === candidate.identity) {
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
}

/** How long to wait before the next renewal: a retry period, but never past `deadline`. */
function untilNextRenewal(candidate: Candidate, deadline: number): number {
  return Math.max(0, Math.min(candidate.retryMs, deadline - Date.now()));
}

/** Sleeps `ms`; false when `signal` aborted first. */
async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Keeps renewing the lease until `ended` settles; false when a renewal failed until the renew
 * deadline (or another holder appeared), i.e. the lease can no longer be counted on.
 */
async function holdUntil(candidate: Candidate, ended: Promise<void>, renewedAt: number): Promise<boolean> {
  let settled = false;
  const done = ended.then(
    () => (settled = true),
    () => (settled = true),
  );
  let lastRenew = renewedAt;
  while (!settled) {
    const deadline = lastRenew + candidate.renewDeadlineMs;
    const wait = new AbortController();
    await Promise.race([
      done,
      sleep(untilNextRenewal(candidate, deadline), undefined, { signal: wait.signal }).catch(() => undefined),
    ]);
    wait.abort();
    if (settled) return true;
    if (Date.now() >= deadline) return false;
    const sentAt = Date.now();
    if (await attempt(candidate, AbortSignal.timeout(Math.max(1, deadline - sentAt)))) lastRenew = sentAt;
    else if (candidate.lastHolder && candidate.lastHolder !== candidate.identity) return false;
  }
  return true;
}

/** Campaigns, and leads each time the lease is won, until `signal` aborts. */
async function runElection(candidate: Candidate, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    // Campaign. A renewal counts from when its request was sent, not from the answer.
    const campaignSentAt = Date.now();
    if (await attempt(candidate, signal)) await lead(candidate, signal, campaignSentAt);
    else if (!(await sleepUnlessAborted(candidate.retryMs * (1 + Math.random() * 0.2), signal))) break;
  }
}

/**
 * One term as leader, from winning the lease until it is lost or `signal` aborts; on a stop,
 * the lease is released once the term has wound down.
 */
async function lead(candidate: Candidate, signal: AbortSignal, campaignSentAt: number): Promise<void> {
  const { deps, identity } = candidate;
  candidate.leading = true;
  deps.log?.info('became leader', { lease: `${candidate.namespace}/${candidate.name}`, identity });
  const term = new AbortController();
  const leaseLost = new AbortController();
  const started: unknown = deps.onStartedLeading(term.signal, leaseLost.signal);
  // Only a promise is waited for (a JavaScript caller may return anything).
  const termEnded = started instanceof Promise ? (started as Promise<void>) : undefined;
  const lastRenew = await renewWhileLeading(candidate, signal, campaignSentAt);
  candidate.leading = false;
  // The reason tells the engine whether to wind down gracefully (we are stopping and
  // still hold the lease) or at once (another replica may already be leading).
  const stopping = signal.aborted;
  term.abort(stopping ? LEADERSHIP_RELEASED : LEADERSHIP_LOST);
  if (!stopping) leaseLost.abort(LEADERSHIP_LOST);
  deps.onStoppedLeading();
  if (!stopping) {
    deps.log?.warn('lost leadership', { identity });
    return;
  }
  // Hold the lease until the term has wound down: releasing it first would let the
  // next leader apply and write records while this term's last calls still run.
  if (termEnded !== undefined && !(await holdUntil(candidate, termEnded, lastRenew))) {
    leaseLost.abort(LEADERSHIP_LOST);
    deps.log?.warn('lease lost while stopping; in-flight calls aborted', { identity });
    await termEnded.catch(() => undefined);
    return;
  }
  await release(candidate);
}

/**
 * Lead: renew every retry period; step down once renewals have failed until the renew
 * deadline. Every request is cut off at that deadline, so a hanging API server cannot
 * keep us leading past it (renewDeadline < leaseDuration: another replica can take
 * over only after we stopped). Returns when the last successful renewal was sent.
 */
async function renewWhileLeading(
  candidate: Candidate,
  signal: AbortSignal,
  renewedAt: number,
): Promise<number> {
  let lastRenew = renewedAt;
  while (!signal.aborted) {
    const deadline = lastRenew + candidate.renewDeadlineMs;
    if (!(await sleepUnlessAborted(untilNextRenewal(candidate, deadline), signal))) break;
    if (Date.now() >= deadline) break;
    const sentAt = Date.now();
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - sentAt))]);
    if (await attempt(candidate, bounded)) lastRenew = sentAt;
    // Someone else holds the lease (we were too slow): step down at once.
    else if (candidate.lastHolder && candidate.lastHolder !== candidate.identity) break;
    else if (Date.now() >= deadline) break;
  }
  return lastRenew;
}
