// SPDX-License-Identifier: Apache-2.0
// One execution of a status check: an HTTP request (Chaos Mesh's, with its status-code
// criterion and messages), a Prometheus instant query compared with a threshold, or a
// Kubernetes object's condition. Each gives Success or Failure with a message.
import type { StatusCheckSpec } from '../api/objects.js';
import type { OrchestrationDeps } from '../runtime/deps.js';
import { statusCodeMatches } from '../validation/validateStatusCheck.js';

/** The outcome of one execution. */
export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** A request's time limit: the spec's `timeoutSeconds` (1 s by default, as the CRD defaults it). */
const timeoutSecondsOf = (spec: StatusCheckSpec) => spec.timeoutSeconds ?? 1;

/** The caller's signal, ended also by the request's own time limit. */
const requestSignal = (signal: AbortSignal, spec: StatusCheckSpec) =>
  AbortSignal.any([signal, AbortSignal.timeout(timeoutSecondsOf(spec) * 1000)]);

/**
 * An error's message; a request's own timeout is said in the spec's terms. Read by shape, not
 * `instanceof`: fetch's TimeoutError is a DOMException, from another realm in some hosts.
 */
function messageOf(error: unknown, spec?: StatusCheckSpec): string {
  const { name, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
  };
  if (spec && name === 'TimeoutError') return `no answer within ${timeoutSecondsOf(spec)}s (timeoutSeconds)`;
  return typeof message === 'string' ? message : String(error);
}

async function httpProbe(
  deps: OrchestrationDeps,
  spec: StatusCheckSpec,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const http = spec.http!;
  const headers = Object.entries(http.headers ?? {}).map(([k, v]) => [k, v.join(', ')] as [string, string]);
  let response: Response;
  try {
    response = await deps.fetch(http.url, {
      method: http.method ?? 'GET',
      headers,
      ...(http.body !== undefined && http.method === 'POST' ? { body: http.body } : {}),
      signal: requestSignal(signal, spec),
    });
    await response.arrayBuffer();
  } catch (error) {
    return { ok: false, message: `do http request: ${messageOf(error, spec)}` };
  }
  return statusCodeMatches(http.criteria.statusCode, response.status)
    ? { ok: true, message: '' }
    : { ok: false, message: `unexpected status code: ${response.status}` };
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

interface PromAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

/** The samples of an instant query's answer: [labels, value]. */
function samples(data: NonNullable<PromAnswer['data']>): [string, number][] {
  if (data.resultType === 'scalar') return [['scalar', Number((data.result as [number, string])[1])]];
  if (data.resultType !== 'vector') return [];
  return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map(s => [
    JSON.stringify(s.metric),
    Number(s.value[1]),
  ]);
}

async function prometheusProbe(
  deps: OrchestrationDeps,
  spec: StatusCheckSpec,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const prom = spec.prometheus!;
  const url = new URL('api/v1/query', prom.address.endsWith('/') ? prom.address : `${prom.address}/`);
  url.searchParams.set('query', prom.query);
  url.searchParams.set('time', String(deps.clock.now() / 1000));
  let answer: PromAnswer;
  try {
    const response = await deps.fetch(url, {
      signal: requestSignal(signal, spec),
    });
    answer = (await response.json()) as PromAnswer;
  } catch (error) {
    return { ok: false, message: `query prometheus: ${messageOf(error, spec)}` };
  }
  if (answer.status !== 'success' || !answer.data)
    return { ok: false, message: `query prometheus: ${answer.error ?? answer.status}` };
  const values = samples(answer.data);
  if (values.length === 0) return { ok: false, message: 'the query returned no sample' };
  const compare = COMPARE[prom.comparison]!;
  const failing = values.find(([, v]) => !compare(v, prom.threshold));
  return failing
    ? { ok: false, message: `${failing[0]} = ${failing[1]}, not ${prom.comparison} ${prom.threshold}` }
    : { ok: true, message: '' };
}

async function kubernetesProbe(
  deps: OrchestrationDeps,
  spec: StatusCheckSpec,
  namespace: string,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const k = spec.kubernetes!;
  const where = `${k.kind} ${k.namespace ?? namespace}/${k.name}`;
  try {
    const obj = await deps.getObject(k.apiVersion, k.kind, k.namespace ?? namespace, k.name, signal);
    if (!obj) return { ok: false, message: `${where} not found` };
    const conditions = (obj.status as { conditions?: { type: string; status: string }[] } | undefined)
      ?.conditions;
    const condition = conditions?.find(c => c.type === k.conditionType);
    const wanted = k.conditionStatus ?? 'True';
    return condition?.status === wanted
      ? { ok: true, message: '' }
      : {
          ok: false,
          message: `${where}: condition ${k.conditionType} is ${condition?.status ?? 'absent'}, not ${wanted}`,
        };
  } catch (error) {
    return { ok: false, message: `read ${where}: ${messageOf(error)}` };
  }
}

/** Runs one execution of `spec`. */
export function runProbe(
  deps: OrchestrationDeps,
  spec: StatusCheckSpec,
  namespace: string,
  signal: AbortSignal,
): Promise<ProbeResult> {
  switch (spec.type ?? 'HTTP') {
    case 'Prometheus':
      return prometheusProbe(deps, spec, signal);
    case 'Kubernetes':
      return kubernetesProbe(deps, spec, namespace, signal);
    case 'HTTP':
      return httpProbe(deps, spec, signal);
  }
}
