// SPDX-License-Identifier: Apache-2.0
/** Query parameters and DeleteOptions, checked and worded as the apiserver does. */
import { type DeleteOptions, type WriteOptions } from '../api/apiTypes.js';
import { KubeEmulatorError, badRequest, text } from '../errors.js';
import { type JsonObject, isMap } from '../types.js';

/** An integer parameter (undefined when absent or empty); 400 when it is not an integer. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw badRequest(
      `invalid value for ${name}: ${JSON.stringify(v)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  return Number(v);
}

/** A boolean parameter: `true` or `1`. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** A string parameter, undefined when absent. */
export function stringParam(q: URLSearchParams, name: string): string | undefined {
  return q.get(name) ?? undefined;
}

/** The 400 of a parameter value outside the supported ones. */
export function invalidParam(name: string, value: string, supported: string[]): KubeEmulatorError {
  return new KubeEmulatorError(
    'BadRequest',
    `${name}: Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map(s => JSON.stringify(s)).join(', ')}`,
    {
      details: {
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(value)}`,
            field: name,
          },
        ],
      },
    },
  );
}

/** `dryRun` and `fieldValidation` of a write. */
export function writeOptions(q: URLSearchParams): WriteOptions {
  const dryRun = q.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw invalidParam('dryRun', d, ['All']);
  const fv = q.get('fieldValidation');
  if (fv !== null && fv !== '' && !['Strict', 'Warn', 'Ignore'].includes(fv))
    throw invalidParam('fieldValidation', fv, ['Ignore', 'Strict', 'Warn']);
  return {
    dryRun: dryRun.length > 0,
    ...(fv ? { fieldValidation: fv as WriteOptions['fieldValidation'] } : {}),
  };
}

/** DeleteOptions sent as a body (absent or `null` means none). */
function deleteOptionsOfBody(body: unknown): DeleteOptions {
  const out: DeleteOptions = {};
  if (body === undefined || body === null) return out;
  if (!isMap(body)) throw badRequest('the body of the request was not DeleteOptions');
  const b: JsonObject = body;
  if (b.kind !== undefined && b.kind !== 'DeleteOptions')
    throw badRequest(`the body of the request was not DeleteOptions: kind ${text(b.kind)}`);
  if (typeof b.propagationPolicy === 'string')
    out.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
  if (b.preconditions && typeof b.preconditions === 'object') out.preconditions = b.preconditions;
  if (Array.isArray(b.dryRun)) {
    for (const d of b.dryRun) if (d !== 'All') throw invalidParam('dryRun', String(d), ['All']);
    out.dryRun = b.dryRun.length > 0;
  }
  if (typeof b.gracePeriodSeconds === 'number') out.gracePeriodSeconds = b.gracePeriodSeconds;
  if (b.orphanDependents === true) out.propagationPolicy = 'Orphan';
  return out;
}

/** DeleteOptions of a delete: the body's, with query parameters taking precedence. */
export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const out = deleteOptionsOfBody(body);
  const pp = q.get('propagationPolicy');
  if (pp !== null && pp !== '') out.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  if (
    out.propagationPolicy !== undefined &&
    !['Orphan', 'Background', 'Foreground'].includes(out.propagationPolicy)
  ) {
    throw invalidParam('propagationPolicy', out.propagationPolicy, ['Background', 'Foreground', 'Orphan']);
  }
  for (const d of q.getAll('dryRun')) {
    if (d !== 'All') throw invalidParam('dryRun', d, ['All']);
    out.dryRun = true;
  }
  const gp = intParam(q, 'gracePeriodSeconds');
  if (gp !== undefined) out.gracePeriodSeconds = gp;
  return out;
}
