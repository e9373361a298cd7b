// SPDX-License-Identifier: Apache-2.0
/**
 * The apiserver's checks of ListOptions before a list or watch is served: how
 * `resourceVersionMatch` goes with `resourceVersion`, `continue` and `sendInitialEvents`.
 * Violations are one 422 `ListOptions.meta.k8s.io "" is invalid` with a cause each, in the
 * apiserver's order and words (k8s.io/apimachinery, meta/internalversion/validation).
 */
import { type FieldError, invalid } from '../errors.js';

const FIELD = 'resourceVersionMatch';

function forbidden(field: string, why: string): FieldError {
  return { field, type: 'FieldValueForbidden', detail: `Forbidden: ${why}` };
}

function notSupported(value: string, supported: string[]): FieldError {
  return {
    field: FIELD,
    type: 'FieldValueNotSupported',
    detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map(s => JSON.stringify(s)).join(', ')}`,
  };
}

/** The options the checks read; a parameter that is absent is undefined. */
interface Options {
  match: string;
  resourceVersion: string;
  continueToken: string;
  sendInitialEvents: string | undefined;
}

function listErrors(o: Options): FieldError[] {
  const errors: FieldError[] = [];
  if (o.match !== '') {
    if (o.resourceVersion === '')
      errors.push(forbidden(FIELD, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continueToken !== '')
      errors.push(forbidden(FIELD, 'resourceVersionMatch is forbidden when continue is provided'));
    if (o.match !== 'Exact' && o.match !== 'NotOlderThan')
      errors.push(notSupported(o.match, ['Exact', 'NotOlderThan', '']));
    if (o.match === 'Exact' && o.resourceVersion === '0')
      errors.push(forbidden(FIELD, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined)
    errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errors;
}

function watchErrors(o: Options): FieldError[] {
  const errors: FieldError[] = [];
  if (o.sendInitialEvents !== undefined && o.match !== 'NotOlderThan')
    errors.push(forbidden(FIELD, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  if (o.match !== '') {
    if (o.sendInitialEvents === undefined)
      errors.push(
        forbidden(FIELD, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'),
      );
    if (o.match !== 'NotOlderThan') errors.push(notSupported(o.match, ['NotOlderThan']));
    if (o.continueToken !== '')
      errors.push(forbidden(FIELD, 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errors;
}

/**
 * Refuses ListOptions the apiserver refuses. `watch` is the query's `watch` parameter (the
 * apiserver checks a legacy `/watch/` path as a list).
 */
export function checkListOptions(q: URLSearchParams, watch: boolean): void {
  const o: Options = {
    match: q.get(FIELD) ?? '',
    resourceVersion: q.get('resourceVersion') ?? '',
    continueToken: q.get('continue') ?? '',
    sendInitialEvents: q.get('sendInitialEvents') ?? undefined,
  };
  const errors = watch ? watchErrors(o) : listErrors(o);
  if (errors.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', errors);
}
