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

/** Parses a selector string; throws 400 BadRequest for bad syntax. */
export function parseLabelSelector(selector: string): LabelSelector {
  const out: LabelSelector = [];
  if (selector.trim() === '') return out;
  for (const raw of splitTop(selector)) {
    const part = raw.trim();
    if (part === '') fail(selector, "found '', expected: !, identifier, or 'end of string'");
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      const values = m[3].split(',').map(v => v.trim());
      if (m[2] === 'in' && values.length === 1 && values[0] === '')
        fail(selector, "for 'in', 'notin' operators, values set can't be empty");
      values.forEach(v => checkValue(selector, v));
      out.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      const value = m[3].trim();
      if (m[2] === '>' || m[2] === '<') {
        if (!/^-?\d+$/.test(value)) fail(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
        out.push({ key: m[1], op: m[2] === '>' ? 'gt' : 'lt', values: [value] });
        continue;
      }
      checkValue(selector, value);
      out.push({ key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [value] });
      continue;
    }
    m = /^!\s*(\S+)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      out.push({ key: m[1], op: '!', values: [] });
      continue;
    }
    if (/^\S+$/.test(part)) {
      checkKey(selector, part);
      out.push({ key: part, op: 'exists', values: [] });
      continue;
    }
    fail(selector, `invalid requirement "${part}"`);
  }
  return out;
}

/** Whether labels satisfy every requirement. */
export function matchLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of selector) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.op) {
      case '=':
      case 'in':
        if (!has || !r.values.includes(value!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(value!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}
