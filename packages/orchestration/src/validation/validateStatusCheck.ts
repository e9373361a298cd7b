// SPDX-License-Identifier: Apache-2.0
// The checks of Chaos Mesh's StatusCheck webhook, with its messages (paths in JSON names), and
// the same for the Prometheus and Kubernetes checks Chaosplane adds.
import type { Violation } from '@chaosplane/sdk';
import type { StatusCheckSpec } from '../api/objects.js';

/** A status code criterion: `200`, or an inclusive range `200-399`; codes are 1..999. */
export function statusCodeViolations(code: string, field: string): Violation[] {
  const bad = (detail: string) => [{ field, message: `incorrect status code format: ${detail}` }];
  if (code === '') return [{ field, message: 'status code is required' }];
  if (/^[+]?\d+$/.test(code)) {
    const n = Number(code);
    return n >= 1 && n <= 999 ? [] : bad('invalid status code');
  }
  const dash = code.indexOf('-');
  if (dash < 0) return bad('not a single number or a range');
  for (const part of [code.slice(0, dash), code.slice(dash + 1)]) {
    if (!/^[+-]?\d+$/.test(part)) return bad(`strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`);
    const n = Number(part);
    if (n < 1 || n > 999) return bad(`invalid status code range, code: ${n}`);
  }
  return [];
}

/** Whether `code` meets the criterion (a code, or an inclusive range). */
export function statusCodeMatches(criterion: string, code: number): boolean {
  const dash = criterion.indexOf('-');
  if (dash < 0) return Number(criterion) === code;
  return Number(criterion.slice(0, dash)) <= code && code <= Number(criterion.slice(dash + 1));
}

function httpViolations(http: StatusCheckSpec['http'], path: string): Violation[] {
  if (!http)
    return [
      { field: `${path}.http`, message: 'Invalid value: null: the detail of http status check is required' },
    ];
  const out: Violation[] = [];
  if (http.url === '') out.push({ field: `${path}.http.url`, message: 'request url is required' });
  else if (!URL.canParse(http.url) || !/^https?:\/\//.test(http.url))
    out.push({ field: `${path}.http.url`, message: 'invalid http request url' });
  out.push(...statusCodeViolations(http.criteria.statusCode, `${path}.http.criteria.statusCode`));
  return out;
}

/** The violations of a StatusCheck spec at `path` (its shape already checked by the schema). */
export function statusCheckViolations(spec: StatusCheckSpec, path = 'spec'): Violation[] {
  const type = spec.type ?? 'HTTP';
  if (type === 'HTTP') return httpViolations(spec.http, path);
  if (type === 'Prometheus') {
    if (!spec.prometheus)
      return [
        {
          field: `${path}.prometheus`,
          message: 'Invalid value: null: the detail of prometheus status check is required',
        },
      ];
    return URL.canParse(spec.prometheus.address)
      ? []
      : [{ field: `${path}.prometheus.address`, message: 'invalid prometheus address' }];
  }
  if (!spec.kubernetes)
    return [
      {
        field: `${path}.kubernetes`,
        message: 'Invalid value: null: the detail of kubernetes status check is required',
      },
    ];
  return [];
}
