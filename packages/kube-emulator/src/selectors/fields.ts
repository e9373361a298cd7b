// SPDX-License-Identifier: Apache-2.0
/** Field selectors: `a=b`, `a==b`, `a!=b` joined by commas, over the fields a kind allows. */
import { badRequest, text } from '../errors.js';
import { type KubeObject } from '../types.js';

/** One parsed field requirement. */
export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** Parses a field selector; throws 400 for bad syntax or a field the kind does not support. */
export function parseFieldSelector(selector: string, allowed: string[]): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (selector.trim() === '') return out;
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const [, name, operator, value] = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part) ?? [];
    if (name === undefined || value === undefined)
      throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = name.trim();
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    out.push({ field, negate: operator === '!=', value: unescape(value.trim()) });
  }
  return out;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Reads a dotted field of an object as the string the apiserver compares. */
export function fieldValue(obj: KubeObject, field: string): string {
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (field === 'source' && cur && typeof cur === 'object') {
    return text((cur as Record<string, unknown>).component ?? '');
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'object') return '';
  return text(cur);
}

/** Whether an object satisfies every field requirement. */
export function matchFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if ((v === r.value) === r.negate) return false;
  }
  return true;
}
