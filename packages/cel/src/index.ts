// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/cel: the validation a CRD's schema gets from the API server, with its semantics
 * and wording, in its two parts: the OpenAPI v3 schema (`compileSchema`, through ajv) and the
 * CEL rules (`x-kubernetes-validations`, `validateRules`), which run on a value of the right
 * shape. The engine checks chaos objects with the same schemas and rules their CRDs carry, and
 * kube-emulator enforces them at admission, as a real API server does.
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
export { compileSchema, validateSchema, type SchemaValidator } from './compileSchema.js';
export {
  describeSchemaError,
  fieldPathOf,
  pointerSegments,
  type SchemaViolation,
  type SchemaViolationReason,
} from './schemaViolation.js';
export { estimateRuleCost, type RuleCostEstimate } from './cost/ruleCost.js';
export { schemaCost, type SchemaCost, type ExpressionCost } from './cost/schemaCost.js';
export {
  STATIC_ESTIMATED_COST_LIMIT,
  STATIC_ESTIMATED_CRD_COST_LIMIT,
  MAX_REQUEST_SIZE_BYTES,
} from './cost/limits.js';
