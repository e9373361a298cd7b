// SPDX-License-Identifier: Apache-2.0
/** Validation shared by all kinds: names, labels, annotations, and a few built-in rules. */
import { type FieldError, quoteValue } from '../errors.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Validates an object name for a kind's naming rule. */
export function validateName(
  name: string,
  rule: ResourceType['nameRule'],
  field = 'metadata.name',
): FieldError[] {
  if (rule === 'label') {
    if (name.length > 63)
      return [
        {
          field,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(name)}: must be no more than 63 characters`,
        },
      ];
    if (!LABEL.test(name))
      return [
        { field, type: 'FieldValueInvalid', detail: `Invalid value: ${quoteValue(name)}: ${LABEL_MSG}` },
      ];
    return [];
  }
  if (rule === 'path') {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
      return [
        {
          field,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(name)}: may not contain '/' or '%'`,
        },
      ];
    }
    return [];
  }
  if (name.length > 253)
    return [
      {
        field,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(name)}: must be no more than 253 characters`,
      },
    ];
  if (!SUBDOMAIN.test(name))
    return [
      { field, type: 'FieldValueInvalid', detail: `Invalid value: ${quoteValue(name)}: ${SUBDOMAIN_MSG}` },
    ];
  return [];
}

function validateQualifiedKey(key: string, field: string): FieldError[] {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errors: FieldError[] = [];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !SUBDOMAIN.test(prefix))) {
    errors.push({
      field,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(key)}: prefix part ${SUBDOMAIN_MSG}`,
    });
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errors.push({
      field,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') and be no more than 63 characters`,
    });
  }
  return errors;
}

/** Validates metadata common to all kinds. */
export function validateMetadata(obj: KubeObject, type: ResourceType): FieldError[] {
  const errors: FieldError[] = [];
  const md = obj.metadata;
  if (typeof md.name === 'string') errors.push(...validateName(md.name, type.nameRule));
  const labels = md.labels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) {
      errors.push({
        field: 'metadata.labels',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: labels must be a map of strings',
      });
    } else {
      for (const [k, v] of Object.entries(labels)) {
        errors.push(...validateQualifiedKey(k, 'metadata.labels'));
        if (typeof v !== 'string') {
          errors.push({
            field: `metadata.labels`,
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(v)}: label values must be strings`,
          });
        } else if (v.length > 63 || !LABEL_VALUE.test(v)) {
          errors.push({
            field: 'metadata.labels',
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          });
        }
      }
    }
  }
  const annotations = md.annotations;
  if (annotations !== undefined && annotations !== null) {
    if (typeof annotations !== 'object' || Array.isArray(annotations)) {
      errors.push({
        field: 'metadata.annotations',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: annotations must be a map of strings',
      });
    } else {
      let total = 0;
      for (const [k, v] of Object.entries(annotations)) {
        errors.push(...validateQualifiedKey(k.toLowerCase(), 'metadata.annotations'));
        if (typeof v !== 'string')
          errors.push({
            field: 'metadata.annotations',
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(v)}: annotation values must be strings`,
          });
        else total += k.length + v.length;
      }
      if (total > 256 * 1024)
        errors.push({
          field: 'metadata.annotations',
          type: 'FieldValueTooLong',
          detail: 'Too long: must have at most 262144 bytes',
        });
    }
  }
  if (md.finalizers !== undefined && md.finalizers !== null) {
    if (!Array.isArray(md.finalizers))
      errors.push({
        field: 'metadata.finalizers',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: must be a list of strings',
      });
    else
      md.finalizers.forEach((f, i) => {
        if (
          typeof f !== 'string' ||
          (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f) && f.includes('.'))
        ) {
          errors.push({
            field: `metadata.finalizers[${i}]`,
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(f)}: name is neither a standard finalizer name nor is it fully qualified`,
          });
        } else errors.push(...validateQualifiedKey(f, `metadata.finalizers[${i}]`));
      });
  }
  if (md.ownerReferences !== undefined && md.ownerReferences !== null) {
    if (!Array.isArray(md.ownerReferences))
      errors.push({
        field: 'metadata.ownerReferences',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: must be a list',
      });
    else
      md.ownerReferences.forEach((r, i) => {
        const f = `metadata.ownerReferences[${i}]`;
        if (!r || typeof r !== 'object')
          errors.push({ field: f, type: 'FieldValueInvalid', detail: 'Invalid value: must be an object' });
        else {
          if (!r.apiVersion)
            errors.push({
              field: `${f}.apiVersion`,
              type: 'FieldValueInvalid',
              detail: 'Invalid value: "": version must not be empty',
            });
          if (!r.kind)
            errors.push({
              field: `${f}.kind`,
              type: 'FieldValueInvalid',
              detail: 'Invalid value: "": kind must not be empty',
            });
          if (!r.name)
            errors.push({
              field: `${f}.name`,
              type: 'FieldValueInvalid',
              detail: 'Invalid value: "": name must not be empty',
            });
          if (!r.uid)
            errors.push({
              field: `${f}.uid`,
              type: 'FieldValueInvalid',
              detail: 'Invalid value: "": uid must not be empty',
            });
        }
      });
  }
  return errors;
}

/** Rules for built-in kinds that real clients rely on being enforced. */
export function validateBuiltin(obj: KubeObject, type: ResourceType): FieldError[] {
  const errors: FieldError[] = [];
  if (type.group === '' && type.plural === 'pods') {
    const spec = obj.spec;
    if (!isMap(spec))
      return [{ field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' }];
    const containers = spec.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      errors.push({ field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' });
    } else {
      const names = new Set<string>();
      containers.forEach((c, i) => {
        const f = `spec.containers[${i}]`;
        if (!isMap(c))
          return errors.push({
            field: f,
            type: 'FieldValueInvalid',
            detail: 'Invalid value: must be an object',
          });
        if (typeof c.name !== 'string' || c.name === '')
          errors.push({ field: `${f}.name`, type: 'FieldValueRequired', detail: 'Required value' });
        else {
          errors.push(...validateName(c.name, 'label', `${f}.name`));
          if (names.has(c.name))
            errors.push({
              field: `${f}.name`,
              type: 'FieldValueDuplicate',
              detail: `Duplicate value: ${quoteValue(c.name)}`,
            });
          names.add(c.name);
        }
        if (typeof c.image !== 'string' || c.image === '')
          errors.push({ field: `${f}.image`, type: 'FieldValueRequired', detail: 'Required value' });
        return undefined;
      });
    }
  }
  if (type.group === '' && (type.plural === 'configmaps' || type.plural === 'secrets')) {
    for (const field of ['data', 'binaryData', 'stringData']) {
      const data = obj[field];
      if (data === undefined || data === null) continue;
      if (!isMap(data)) {
        errors.push({ field, type: 'FieldValueInvalid', detail: 'Invalid value: must be a map of strings' });
        continue;
      }
      for (const [k, v] of Object.entries(data)) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253) {
          errors.push({
            field: `${field}[${k}]`,
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(k)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
          });
        }
        if (typeof v !== 'string')
          errors.push({
            field: `${field}[${k}]`,
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(v)}: must be a string`,
          });
        else if (type.plural === 'secrets' && field === 'data' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
          errors.push({
            field: `${field}[${k}]`,
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${quoteValue(v)}: illegal base64 data`,
          });
        }
      }
    }
  }
  if (type.group === 'coordination.k8s.io' && isMap(obj.spec)) {
    const d = obj.spec.leaseDurationSeconds;
    if (d !== undefined && (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
      errors.push({
        field: 'spec.leaseDurationSeconds',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(d)}: must be greater than 0`,
      });
    }
  }
  if (type.group === '' && type.plural === 'services' && isMap(obj.spec) && Array.isArray(obj.spec.ports)) {
    obj.spec.ports.forEach((p, i) => {
      if (
        !isMap(p) ||
        typeof p.port !== 'number' ||
        !Number.isInteger(p.port) ||
        p.port < 1 ||
        p.port > 65535
      ) {
        errors.push({
          field: `spec.ports[${i}].port`,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(isMap(p) ? p.port : p)}: must be between 1 and 65535, inclusive`,
        });
      }
    });
  }
  return errors;
}
