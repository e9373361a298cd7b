// SPDX-License-Identifier: Apache-2.0
/**
 * The schema violations of the one schema path (`@chaosplane/cel`) as the emulator's field
 * errors, for custom resources (crd/schema.ts) and the enums of built-in kinds
 * (resources/schemaVerdict.ts).
 */
import { type SchemaViolation, type SchemaViolationReason } from '@chaosplane/cel';
import { type FieldError } from './errors.js';

type FieldViolation = SchemaViolation & { reason: Exclude<SchemaViolationReason, 'UnknownField'> };

function isFieldViolation(violation: SchemaViolation): violation is FieldViolation {
  return violation.reason !== 'UnknownField';
}

/**
 * The field errors of a 422, in order. A field `additionalProperties: false` refuses is left
 * out: it is no field error in the API server (a structural schema cannot say it; unknown fields
 * are pruned, or refused with a 400 by fieldValidation=Strict, before validation).
 */
export function schemaFieldErrors(violations: readonly SchemaViolation[]): FieldError[] {
  return violations.filter(isFieldViolation).map(v => ({ field: v.field, type: v.reason, detail: v.detail }));
}
