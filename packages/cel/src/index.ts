// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/cel: Kubernetes CEL validation rules (`x-kubernetes-validations`), compiled and
 * evaluated with the API server's semantics and wording. The engine checks chaos objects with
 * the same rules their CRDs carry, and kube-emulator enforces them at admission, as a real API
 * server does.
 * @packageDocumentation
 */
export {
  validateRules,
  compileErrors,
  toCel,
  type ValidationRule,
  type RuleViolation,
  type JsonSchema,
} from './validateRules.js';
export { compileExpression, jsonToCel, type CelExpression } from './celExpression.js';
