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
export { estimateRuleCost, type RuleCostEstimate } from './cost/ruleCost.js';
export { schemaCost, type SchemaCost, type ExpressionCost } from './cost/schemaCost.js';
export {
  STATIC_ESTIMATED_COST_LIMIT,
  STATIC_ESTIMATED_CRD_COST_LIMIT,
  MAX_REQUEST_SIZE_BYTES,
} from './cost/limits.js';
