// SPDX-License-Identifier: Apache-2.0
/**
 * One ValidatingAdmissionPolicy evaluated for one write, with the API server's semantics and
 * words (apiserver's admission/plugin/policy/validating): `matchConditions` first (a false one
 * skips the policy; an error, with none false, follows `failurePolicy`), then `variables` in
 * order, then each validation: `true` admits, anything else denies with its `reason` (default
 * Invalid) and the message of `messageExpression` (a non-empty single line of at most 5120
 * bytes), else `message`, else `failed expression: <expression>`; an evaluation error denies
 * (failurePolicy Fail, the default) or admits (Ignore) with
 * `expression '<expression>' resulted in error: <error>`.
 */
import { compileExpression, jsonToCel } from '@chaosplane/cel';
import {
  type AdmissionAttributes,
  type NamedExpression,
  type PolicySpec,
  type Validation,
} from './policyTypes.js';

/** What one validation decided. */
export interface PolicyDecision {
  action: 'admit' | 'deny';
  message: string;
  /** The Status reason of a denial (`Invalid` unless the validation names another). */
  reason: string;
}

/** The most bytes of a messageExpression's result the API server keeps. */
const MAX_MESSAGE_BYTES = 5120;

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A variable that failed: reading it fails every expression that reads it, with its error. */
class VariableError {
  constructor(readonly error: unknown) {}
}

/** The evaluation context: the variables every expression sees. */
type Bindings = Record<string, unknown>;

/** Evaluates an expression; a variable it reads that failed fails it with the variable's error. */
function evaluate(expression: string, bindings: Bindings, failed: Map<string, VariableError>): unknown {
  for (const [name, failure] of failed) {
    if (new RegExp(`\\bvariables\\.${name}\\b`).test(expression)) throw failure.error;
  }
  return compileExpression(expression)(bindings);
}

/** `request`: the AdmissionRequest as the expressions see it. */
function requestOf(attrs: AdmissionAttributes): Record<string, unknown> {
  const { type, version } = attrs;
  const kind = { group: type.group, version, kind: type.kind };
  const resource = { group: type.group, version, resource: type.plural };
  const user = attrs.user;
  return {
    kind,
    resource,
    subResource: attrs.subresource ?? '',
    requestKind: kind,
    requestResource: resource,
    requestSubResource: attrs.subresource ?? '',
    name: attrs.name,
    namespace: attrs.namespace ?? '',
    operation: attrs.operation,
    userInfo: {
      username: user?.name ?? '',
      uid: user?.uid ?? '',
      groups: user?.groups ?? [],
      extra: user?.extra ?? {},
    },
    dryRun: attrs.dryRun,
  };
}

/** The bindings of a policy's expressions, `variables` evaluated in order (later ones read earlier ones). */
function bindingsOf(
  spec: PolicySpec,
  attrs: AdmissionAttributes,
  namespaceObject: unknown,
): { bindings: Bindings; failed: Map<string, VariableError> } {
  const variables: Record<string, unknown> = {};
  const bindings: Bindings = {
    object: jsonToCel(attrs.object),
    oldObject: jsonToCel(attrs.oldObject),
    request: jsonToCel(requestOf(attrs)),
    namespaceObject: jsonToCel(namespaceObject ?? null),
    params: null,
    variables,
  };
  const failed = new Map<string, VariableError>();
  for (const variable of spec.variables ?? []) {
    try {
      variables[variable.name] = evaluate(variable.expression, bindings, failed);
    } catch (error) {
      failed.set(variable.name, new VariableError(error));
    }
  }
  return { bindings, failed };
}

/** The message of a failed validation (messageExpression, message, or the expression). */
function messageOf(validation: Validation, bindings: Bindings, failed: Map<string, VariableError>): string {
  if (validation.messageExpression !== undefined) {
    try {
      const value = evaluate(validation.messageExpression, bindings, failed);
      if (typeof value === 'string') {
        const message = value.trim();
        if (message !== '' && !message.includes('\n') && Buffer.byteLength(message) <= MAX_MESSAGE_BYTES)
          return message;
      }
    } catch {
      // The API server logs the error and falls back to `message`.
    }
  }
  const message = validation.message?.trim() ?? '';
  return message !== '' ? message : `failed expression: ${validation.expression.trim()}`;
}

const errorMessage = (expression: string, error: unknown): string =>
  `expression '${expression}' resulted in error: ${errorText(error)}`;

/** `matchConditions`: true when all hold; false when one is false; an error when one failed and none is false. */
function conditionsHold(
  conditions: NamedExpression[],
  bindings: Bindings,
  failed: Map<string, VariableError>,
): true | false | { error: string } {
  let error: string | undefined;
  for (const condition of conditions) {
    try {
      if (evaluate(condition.expression, bindings, failed) === false) return false;
    } catch (cause) {
      error ??= errorMessage(condition.expression, cause);
    }
  }
  return error === undefined ? true : { error };
}

/**
 * The decisions of `spec` for a write: none when a match condition is false (the policy does not
 * apply), else one per validation.
 */
export function evaluatePolicy(
  spec: PolicySpec,
  attrs: AdmissionAttributes,
  namespaceObject: unknown,
): PolicyDecision[] {
  const onError: PolicyDecision['action'] = spec.failurePolicy === 'Ignore' ? 'admit' : 'deny';
  const { bindings, failed } = bindingsOf(spec, attrs, namespaceObject);
  const held = conditionsHold(spec.matchConditions ?? [], bindings, failed);
  if (held === false) return [];
  if (held !== true) return [{ action: onError, message: held.error, reason: 'Invalid' }];
  return (spec.validations ?? []).map(validation => {
    let result: unknown;
    try {
      result = evaluate(validation.expression, bindings, failed);
    } catch (error) {
      return { action: onError, message: errorMessage(validation.expression, error), reason: 'Invalid' };
    }
    if (result === true) return { action: 'admit', message: '', reason: '' };
    return {
      action: 'deny',
      message: messageOf(validation, bindings, failed),
      reason: validation.reason ?? 'Invalid',
    };
  });
}
