// SPDX-License-Identifier: Apache-2.0
/**
 * The one error class of the package. Every failure the API answers with carries a `kind`
 * that maps to the apiserver's `reason` and HTTP code, so handlers just throw and the HTTP
 * layer turns the error into a `Status` body shaped like the real apiserver's.
 */

/** The reasons the emulator answers with (the apiserver's `metav1.StatusReason` values). */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** Error kinds: API reasons plus failures that happen outside a request (startup, storage). */
export type KubeEmulatorErrorKind = StatusReason | 'Startup' | 'Storage' | 'Config';

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** One field-level cause of an error, as in `status.details.causes`. */
export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

/** `status.details` of an error body. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The wire shape of a `Status` object. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The package's typed error. `kind` says what went wrong; `code` is the HTTP status. */
export class KubeEmulatorError extends Error {
  readonly kind: KubeEmulatorErrorKind;
  readonly details: StatusDetails | undefined;
  readonly headers: Record<string, string>;

  constructor(
    kind: KubeEmulatorErrorKind,
    message: string,
    options: { details?: StatusDetails; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeEmulatorError';
    this.kind = kind;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** The HTTP status code this error is answered with. */
  get code(): number {
    return this.kind in CODES ? CODES[this.kind as StatusReason] : 500;
  }

  /** The apiserver-shaped `Status` body for this error. */
  toStatus(): StatusBody {
    const reason = this.kind in CODES ? this.kind : 'InternalError';
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason,
      code: this.code,
    };
    if (this.details !== undefined) body.details = omitEmpty(this.details);
    return body;
  }

  /** Type guard that also works across duplicated copies of the package. */
  static is(value: unknown): value is KubeEmulatorError {
    return value instanceof KubeEmulatorError || (value as { name?: unknown })?.name === 'KubeEmulatorError';
  }
}

/** Details without empty strings, as Go's `omitempty` leaves them out of the apiserver's Status. */
function omitEmpty(details: StatusDetails): StatusDetails {
  const out: StatusDetails = { ...details };
  for (const key of ['name', 'group', 'kind', 'uid'] as const) if (out[key] === '') delete out[key];
  return out;
}

/** Whether an error is a 404 NotFound of this package (a missing object or resource). */
export function isNotFound(error: unknown): boolean {
  return KubeEmulatorError.is(error) && error.kind === 'NotFound';
}

/** Names a resource for messages: `pods` or `foos.example.com`. */
export function qualifiedResource(group: string, plural: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

/** 404 for an object, worded like the apiserver. */
export function notFound(group: string, plural: string, name: string): KubeEmulatorError {
  return new KubeEmulatorError('NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, {
    details: { name, group, kind: plural },
  });
}

/** 409 AlreadyExists, worded like the apiserver. */
export function alreadyExists(group: string, plural: string, name: string): KubeEmulatorError {
  return new KubeEmulatorError(
    'AlreadyExists',
    `${qualifiedResource(group, plural)} "${name}" already exists`,
    {
      details: { name, group, kind: plural },
    },
  );
}

/** 409 Conflict for a stale resourceVersion or a failed precondition. */
export function conflict(group: string, plural: string, name: string, why: string): KubeEmulatorError {
  return new KubeEmulatorError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`,
    { details: { name, group, kind: plural } },
  );
}

/** 400 BadRequest with a plain message. */
export function badRequest(message: string): KubeEmulatorError {
  return new KubeEmulatorError('BadRequest', message);
}

/** One field error collected during validation. */
export interface FieldError {
  field: string;
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueDuplicate'
    | 'FieldValueTypeInvalid'
    | 'FieldValueTooMany';
  /** The message after the field path, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  detail: string;
}

/** 422 Invalid, with one cause per field error, worded like the apiserver. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): KubeEmulatorError {
  const list = errors.map(e => `${e.field}: ${e.detail}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new KubeEmulatorError(
    'Invalid',
    `${group === '' ? kind : `${kind}.${group}`} "${name}" is invalid: ${summary}`,
    {
      details: {
        name,
        group,
        kind,
        causes: errors.map(e => ({ reason: e.type, message: e.detail, field: e.field })),
      },
    },
  );
}

/** Quotes a value the way Go's `%q`/`%#v` would in apiserver messages. */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value).slice(0, 200);
  return text(value);
}

/** Any JSON value as message text: strings as they are, everything else as JSON. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return value.toString();
  if (value === undefined) return '';
  return JSON.stringify(value) ?? '';
}
