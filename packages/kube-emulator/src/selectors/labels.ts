// SPDX-License-Identifier: Apache-2.0
/** Label selectors in the apiserver's string syntax: equality- and set-based requirements. */
import { badRequest } from '../errors.js';

/** One parsed requirement. */
export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
  values: string[];
}

/** A parsed selector: all requirements must hold. */
export type LabelSelector = LabelRequirement[];

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function fail(_selector: string, why: string): never {
  throw badRequest(`unable to parse requirement: ${why}`);
}

function checkKey(selector: string, key: string): void {
  if (key.length === 0 || !KEY.test(key) || key.length > 316) fail(selector, `invalid label key "${key}"`);
}

function checkValue(selector: string, value: string): void {
  if (value.length > 63 || !VALUE.test(value)) fail(selector, `invalid label value: "${value}"`);
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** `key in (a,b)` / `key notin (a,b)`. */
function setBased(selector: string, part: string): LabelRequirement | undefined {
  const [, key, op, list] = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part) ?? [];
  if (key === undefined || list === undefined) return undefined;
  checkKey(selector, key);
  const values = list.split(',').map(v => v.trim());
  if (op === 'in' && values.length === 1 && values[0] === '')
    fail(selector, "for 'in', 'notin' operators, values set can't be empty");
  values.forEach(v => checkValue(selector, v));
  return { key, op: op as 'in' | 'notin', values };
}

/** `key=v`, `key==v`, `key!=v`, and the integer comparisons `key>n`, `key<n`. */
function equalityBased(selector: string, part: string): LabelRequirement | undefined {
  const [, key, op, raw] = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part) ?? [];
  if (key === undefined || raw === undefined) return undefined;
  checkKey(selector, key);
  const value = raw.trim();
  if (op === '>' || op === '<') {
    if (!/^-?\d+$/.test(value)) fail(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
    return { key, op: op === '>' ? 'gt' : 'lt', values: [value] };
  }
  checkValue(selector, value);
  return { key, op: op === '!=' ? '!=' : '=', values: [value] };
}

/** `!key` (absent) or `key` (present). */
function existence(selector: string, part: string): LabelRequirement | undefined {
  const [, absent] = /^!\s*(\S+)$/.exec(part) ?? [];
  if (absent !== undefined) {
    checkKey(selector, absent);
    return { key: absent, op: '!', values: [] };
  }
  if (!/^\S+$/.test(part)) return undefined;
  checkKey(selector, part);
  return { key: part, op: 'exists', values: [] };
}

/** Parses a selector string; throws 400 BadRequest for bad syntax. */
export function parseLabelSelector(selector: string): LabelSelector {
  const out: LabelSelector = [];
  if (selector.trim() === '') return out;
  for (const raw of splitTop(selector)) {
    const part = raw.trim();
    if (part === '') fail(selector, "found '', expected: !, identifier, or 'end of string'");
    const requirement =
      setBased(selector, part) ?? equalityBased(selector, part) ?? existence(selector, part);
    if (!requirement) fail(selector, `invalid requirement "${part}"`);
    out.push(requirement);
  }
  return out;
}

/** `gt` / `lt`: the label's value is an integer beyond the bound. */
function compares(r: LabelRequirement, value: string | undefined): boolean {
  if (value === undefined || !/^-?\d+$/.test(value)) return false;
  const n = Number(value);
  const bound = Number(r.values[0]);
  return r.op === 'gt' ? n > bound : n < bound;
}

/** Whether labels satisfy one requirement. */
function satisfies(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.op) {
    case '=':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !(has && r.values.includes(value!));
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt':
      return has && compares(r, value);
  }
}

/** Whether labels satisfy every requirement. */
export function matchLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of selector) if (!satisfies(r, labels)) return false;
  return true;
}
