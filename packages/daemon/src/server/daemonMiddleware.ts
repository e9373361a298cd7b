// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { chaosLogger } from '@chaosplane/service';
import { isAbortError } from 'abort-controller-x';
import { type CallContext, ServerError, type ServerMiddleware, Status } from 'nice-grpc';

import { STATUS_OF_KIND } from '../grpcStatus.js';
import { callerIdentity, chaosOf } from './callMetadata.js';
import type { DaemonMetrics } from './daemonMetrics.js';

/** Maps any error to a gRPC status with a clear message; unknown errors never leak stacks. */
export function toServerError(error: unknown): ServerError {
  if (error instanceof ServerError) return error;
  if (ChaosplaneError.is(error))
    return new ServerError(STATUS_OF_KIND[error.kind] ?? Status.UNKNOWN, error.message);
  return new ServerError(Status.INTERNAL, 'internal error in the chaos daemon (see its log)');
}

/**
 * One middleware for every service, plugins included: a per-call logger carrying the chaos
 * namespace/name the controller sent, a server-side cap on call time (the client's own deadline
 * also applies), error → status mapping and Prometheus metrics.
 */
export function createDaemonMiddleware(options: {
  logger: Logger;
  metrics: DaemonMetrics;
  maxCallMs: number;
  /**
   * Certificate common names allowed to call (mTLS); any certificate of the CA when undefined.
   * The CA may sign more than the operator's certificate; this narrows who can inject faults.
   */
  allowedClients?: readonly string[];
}): ServerMiddleware {
  const { logger, metrics, maxCallMs } = options;
  const allowed = options.allowedClients === undefined ? undefined : new Set(options.allowedClients);
  return async function* daemonMiddleware(call, context: CallContext) {
    const method = call.method.path;
    if (allowed !== undefined && !allowed.has(callerIdentity(context))) {
      logger.warn('call refused: caller not allowed', {
        method,
        caller: callerIdentity(context) || undefined,
      });
      throw new ServerError(
        Status.PERMISSION_DENIED,
        `caller ${JSON.stringify(callerIdentity(context))} is not an allowed client of this daemon`,
      );
    }
    const chaos = chaosOf(context);
    const log = chaosLogger(logger, chaos ?? {}).child({
      method,
      caller: callerIdentity(context) || undefined,
    });
    const stop = metrics.handlingSeconds.startTimer({ method });
    const limit = new AbortController();
    const onAbort = (): void => limit.abort();
    context.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => limit.abort(), maxCallMs);
    let code = Status.OK;
    try {
      return yield* call.next(call.request, { ...context, signal: limit.signal });
    } catch (error) {
      if (isAbortError(error) && context.signal.aborted) {
        code = Status.CANCELLED;
        throw error;
      }
      const mapped =
        isAbortError(error) || (ChaosplaneError.isKind(error, 'aborted') && limit.signal.aborted)
          ? new ServerError(
              Status.DEADLINE_EXCEEDED,
              `${method} ran longer than the daemon's ${maxCallMs} ms limit`,
            )
          : toServerError(error);
      code = mapped.code;
      if (mapped.code === Status.INTERNAL)
        log.error('call failed', { error: String((error as Error)?.stack ?? error) });
      else log.info('call refused', { code: Status[mapped.code], reason: mapped.details });
      throw mapped;
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      const labels = { method, code: Status[code] };
      metrics.requests.inc(labels);
      stop({ code: Status[code] });
      log.debug('call finished', { code: Status[code] });
    }
  };
}
