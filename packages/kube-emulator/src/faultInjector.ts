// SPDX-License-Identifier: Apache-2.0
/**
 * Fault injection for reliability tests: error answers (409/429/500/503) at configurable
 * rates, added latency, and forced watch disconnects, each narrowed by verb, resource and
 * namespace. Configured at start and changed at runtime through `emulator.faults`.
 */
import { KubeEmulatorError } from './errors.js';
import { type Verb } from './types.js';

/** Which requests a rule applies to; an absent list matches everything. */
export interface FaultMatch {
  /** Verbs such as `create`, `update`, `patch`, `delete`, `get`, `list`, `watch`. */
  verbs?: Verb[];
  /** Resources as `plural` (core) or `plural.group` (e.g. `podchaos.chaos-mesh.org`). */
  resources?: string[];
  namespaces?: string[];
  /** Whether a rule also applies to subresources (`status`); default true. */
  subresources?: boolean;
}

/** Answer a share of matching requests with an error status instead of serving them. */
export interface ErrorFault extends FaultMatch {
  /** HTTP status to answer with. */
  status: 409 | 429 | 500 | 503;
  /** Probability in [0, 1] per matching request. */
  rate: number;
  message?: string;
  /**
   * `before` (default): answer instead of serving, nothing is written. `after`: serve the
   * request (the write happens) and then answer with the error, as when a reply is lost.
   */
  when?: 'before' | 'after';
}

/** Delay matching requests. */
export interface LatencyFault extends FaultMatch {
  /** Added delay in milliseconds. */
  ms: number;
  /** Extra random delay up to this many milliseconds. */
  jitterMs?: number;
}

/** Close watch streams (cleanly, as an apiserver timeout would). */
export interface WatchDisconnectFault extends Omit<FaultMatch, 'verbs'> {
  /** Probability per delivered event that the stream is closed after that event. */
  ratePerEvent?: number;
  /** Close each matching watch this many milliseconds after it starts. */
  afterMs?: number;
}

/** The whole fault configuration. */
export interface FaultConfig {
  errors?: ErrorFault[];
  latency?: LatencyFault[];
  watchDisconnects?: WatchDisconnectFault[];
  /** Seed for the random source, so a failing run can be replayed. */
  seed?: number;
}

/** What a request looks like to the fault engine. */
export interface FaultRequest {
  verb: Verb;
  /** `plural` or `plural.group` */
  resource: string;
  namespace?: string;
  subresource?: string;
}

/** Counters of injected faults. */
export interface FaultStats {
  errors: number;
  delayed: number;
  watchDisconnects: number;
}

/** The runtime control of fault injection. */
export interface FaultInjector {
  /** Replaces the configuration. */
  set(config: FaultConfig): void;
  /** Removes all faults. */
  clear(): void;
  /** The current configuration. */
  get(): FaultConfig;
  /** Closes open watch streams now (all, or those of one resource). Returns how many. */
  disconnectWatches(resource?: string): number;
  readonly stats: FaultStats;
  /** @internal Draws the configured error for a request, if any. */
  draw(req: FaultRequest): { error: KubeEmulatorError; after: boolean } | undefined;
  /** @internal Delay for a request in ms. */
  delayFor(req: FaultRequest): number;
  /** @internal Registers an open watch; returns its disconnect policy and an unregister function. */
  trackWatch(req: FaultRequest, close: () => void): { onEvent(): void; untrack(): void };
}

function matches(m: FaultMatch, req: FaultRequest): boolean {
  if (m.verbs && !m.verbs.includes(req.verb)) return false;
  if (m.resources && !m.resources.includes(req.resource)) return false;
  if (m.namespaces && (!req.namespace || !m.namespaces.includes(req.namespace))) return false;
  if (m.subresources === false && req.subresource) return false;
  return true;
}

/** Mulberry32: small, seedable, good enough for test fault draws. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
} as const;

/** Checks a configuration; throws a Config error naming the bad field. */
export function validateFaultConfig(config: FaultConfig): void {
  const fail = (field: string, why: string): never => {
    throw new KubeEmulatorError('Config', `faults.${field}: ${why}`);
  };
  (config.errors ?? []).forEach((e, i) => {
    if (!(e.status in REASONS))
      fail(`errors[${i}].status`, `must be one of 409, 429, 500, 503, got ${String(e.status)}`);
    if (typeof e.rate !== 'number' || e.rate < 0 || e.rate > 1)
      fail(`errors[${i}].rate`, 'must be a number in [0, 1]');
    if (e.when !== undefined && e.when !== 'before' && e.when !== 'after')
      fail(`errors[${i}].when`, 'must be "before" or "after"');
  });
  (config.latency ?? []).forEach((l, i) => {
    if (typeof l.ms !== 'number' || l.ms < 0) fail(`latency[${i}].ms`, 'must be a non-negative number');
  });
  (config.watchDisconnects ?? []).forEach((w, i) => {
    if (w.ratePerEvent !== undefined && (w.ratePerEvent < 0 || w.ratePerEvent > 1))
      fail(`watchDisconnects[${i}].ratePerEvent`, 'must be in [0, 1]');
    if (w.afterMs !== undefined && w.afterMs < 0)
      fail(`watchDisconnects[${i}].afterMs`, 'must be non-negative');
  });
}

/** The apiserver-shaped error an error rule answers with (429 and 503 say when to retry). */
function injectedError(rule: ErrorFault, req: FaultRequest): KubeEmulatorError {
  const reason = REASONS[rule.status];
  const message = rule.message ?? `injected fault: ${reason} for ${req.verb} ${req.resource}`;
  const retry = rule.status === 429 || rule.status === 503;
  return new KubeEmulatorError(reason, message, {
    details: retry ? { retryAfterSeconds: 1 } : {},
    headers: retry ? { 'Retry-After': '1' } : {},
  });
}

/**
 * The disconnect policy of one open watch: a timer per `afterMs` rule, and a draw per event for
 * `ratePerEvent` rules.
 */
function watchDisconnects(
  rules: WatchDisconnectFault[],
  random: () => number,
  stats: FaultStats,
  close: () => void,
): { onEvent(): void; stop(): void } {
  const timers: NodeJS.Timeout[] = [];
  for (const r of rules) {
    if (r.afterMs === undefined) continue;
    const t = setTimeout(() => {
      stats.watchDisconnects++;
      close();
    }, r.afterMs);
    t.unref();
    timers.push(t);
  }
  return {
    onEvent() {
      for (const r of rules) {
        if (r.ratePerEvent && random() < r.ratePerEvent) {
          stats.watchDisconnects++;
          // Close after the current event is written.
          setImmediate(close);
          return;
        }
      }
    },
    stop() {
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** Creates the fault injector. */
export function createFaultInjector(initial: FaultConfig = {}): FaultInjector {
  let config: FaultConfig = {};
  let random = Math.random;
  const stats: FaultStats = { errors: 0, delayed: 0, watchDisconnects: 0 };
  const watches = new Set<{ req: FaultRequest; close: () => void }>();

  const injector: FaultInjector = {
    stats,
    set(next) {
      validateFaultConfig(next);
      config = structuredClone(next);
      random = next.seed !== undefined ? seededRandom(next.seed) : Math.random;
    },
    clear() {
      config = {};
    },
    get() {
      return structuredClone(config);
    },
    disconnectWatches(resource) {
      let n = 0;
      for (const w of [...watches]) {
        if (resource === undefined || w.req.resource === resource) {
          w.close();
          n++;
        }
      }
      stats.watchDisconnects += n;
      return n;
    },
    draw(req) {
      for (const rule of config.errors ?? []) {
        if (!matches(rule, req) || rule.rate <= 0 || random() >= rule.rate) continue;
        stats.errors++;
        return { error: injectedError(rule, req), after: rule.when === 'after' };
      }
      return undefined;
    },
    delayFor(req) {
      let ms = 0;
      for (const rule of config.latency ?? []) {
        if (matches(rule, req)) ms += rule.ms + (rule.jitterMs ? random() * rule.jitterMs : 0);
      }
      if (ms > 0) stats.delayed++;
      return ms;
    },
    trackWatch(req, close) {
      const entry = { req, close };
      watches.add(entry);
      const rules = (config.watchDisconnects ?? []).filter(r => matches(r, req));
      // Each draw reads the random source as it is then (a later `set` may reseed it).
      const policy = watchDisconnects(rules, () => random(), stats, close);
      return {
        onEvent: () => policy.onEvent(),
        untrack() {
          watches.delete(entry);
          policy.stop();
        },
      };
    },
  };
  injector.set(initial);
  return injector;
}
