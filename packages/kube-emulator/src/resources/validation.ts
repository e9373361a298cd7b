// SPDX-License-Identifier: Apache-2.0
/**
 * The validation the schemas cannot express, hand-written after the apiserver's: names, label
 * and annotation syntax and size, finalizers, ownerReferences (every kind, custom resources
 * included, whose metadata no schema describes: these also check its types), and the rules of
 * built-in kinds that clients rely on (pod containers and ports, ConfigMap keys and size,
 * Secret size, lease durations, service ports). Types, ranges of Go integers, base64 and enums
 * of built-in kinds are their schemas' (builtinSchemas.ts, schemaVerdict.ts).
 */
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

const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function validateLabels(labels: unknown): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [
      {
        field: 'metadata.labels',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: labels must be a map of strings',
      },
    ];
  }
  const errors: FieldError[] = [];
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
        detail: `Invalid value: ${quoteValue(v)}: ${LABEL_VALUE_MSG}`,
      });
    }
  }
  return errors;
}

function validateAnnotations(annotations: unknown): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return [
      {
        field: 'metadata.annotations',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: annotations must be a map of strings',
      },
    ];
  }
  const errors: FieldError[] = [];
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
      detail: 'Too long: may not be more than 262144 bytes',
    });
  return errors;
}

/** Finalizers are qualified names; a bare name with a dot is neither standard nor qualified. */
function validateFinalizers(finalizers: unknown): FieldError[] {
  if (finalizers === undefined || finalizers === null) return [];
  if (!Array.isArray(finalizers)) {
    return [
      {
        field: 'metadata.finalizers',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: must be a list of strings',
      },
    ];
  }
  return finalizers.flatMap((f: unknown, i): FieldError[] => {
    if (
      typeof f !== 'string' ||
      (!f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f) && f.includes('.'))
    ) {
      return [
        {
          field: `metadata.finalizers[${i}]`,
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(f)}: name is neither a standard finalizer name nor is it fully qualified`,
        },
      ];
    }
    return validateQualifiedKey(f, `metadata.finalizers[${i}]`);
  });
}

/** The fields every ownerReference needs, and how the apiserver names each in its message. */
const OWNER_REFERENCE_FIELDS = [
  ['apiVersion', 'version'],
  ['kind', 'kind'],
  ['name', 'name'],
  ['uid', 'uid'],
] as const;

function validateOwnerReferences(refs: unknown): FieldError[] {
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) {
    return [
      {
        field: 'metadata.ownerReferences',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: must be a list',
      },
    ];
  }
  return refs.flatMap((r: unknown, i): FieldError[] => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!r || typeof r !== 'object')
      return [{ field: f, type: 'FieldValueInvalid', detail: 'Invalid value: must be an object' }];
    const ref = r as Record<string, unknown>;
    return OWNER_REFERENCE_FIELDS.filter(([field]) => !ref[field]).map(([field, what]) => ({
      field: `${f}.${field}`,
      type: 'FieldValueInvalid',
      detail: `Invalid value: "": ${what} must not be empty`,
    }));
  });
}

/** Validates metadata common to all kinds. */
export function validateMetadata(obj: KubeObject, type: ResourceType): FieldError[] {
  const md = obj.metadata;
  return [
    ...(typeof md.name === 'string' ? validateName(md.name, type.nameRule) : []),
    ...validateLabels(md.labels),
    ...validateAnnotations(md.annotations),
    ...validateFinalizers(md.finalizers),
    ...validateOwnerReferences(md.ownerReferences),
  ];
}

/** A port number's range (the apiserver's `IsValidPortNum`). */
function portRangeError(field: string, port: unknown): FieldError[] {
  if (typeof port === 'number' && port >= 1 && port <= 65535) return [];
  return [
    {
      field,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(port)}: must be between 1 and 65535, inclusive`,
    },
  ];
}

/** A container's ports: `containerPort` is required and a port number, a `hostPort` set too. */
function validateContainerPorts(ports: unknown, field: string): FieldError[] {
  if (!Array.isArray(ports)) return [];
  return ports.flatMap((p: unknown, i): FieldError[] => {
    if (!isMap(p)) return [];
    const f = `${field}[${i}]`;
    const errors: FieldError[] =
      p.containerPort === undefined || p.containerPort === null || p.containerPort === 0
        ? [{ field: `${f}.containerPort`, type: 'FieldValueRequired', detail: 'Required value' }]
        : portRangeError(`${f}.containerPort`, p.containerPort);
    if (p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0)
      errors.push(...portRangeError(`${f}.hostPort`, p.hostPort));
    return errors;
  });
}

/**
 * Pod containers: each has a unique label-shaped name, an image, and valid ports. (Types are
 * the schema's, builtinSchemas.ts: a container that is not an object never gets here.)
 */
function validateContainers(containers: unknown[]): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const f = `spec.containers[${i}]`;
    if (!isMap(c)) return;
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
    errors.push(...validateContainerPorts(c.ports, `${f}.ports`));
  });
  return errors;
}

function validatePod(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (!isMap(spec))
    return [{ field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' }];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    return [{ field: 'spec.containers', type: 'FieldValueRequired', detail: 'Required value' }];
  }
  return validateContainers(containers);
}

/**
 * One key of a ConfigMap's or Secret's data. (Values are the schema's: strings, and base64 for
 * bytes, refused as the apiserver's decoder refuses them; see builtinSchemas.ts.)
 */
function configKeyErrors(field: string, k: string): FieldError[] {
  if (/^[-._a-zA-Z0-9]+$/.test(k) && k.length <= 253) return [];
  return [
    {
      field: `${field}[${k}]`,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(k)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    },
  ];
}

/** The most a ConfigMap's or a Secret's data may hold (the apiserver's `MaxSecretSize`, 1 MiB). */
const MAX_DATA_BYTES = 1024 * 1024;

/** The bytes of a map's values: UTF-8 text, or (base64) the bytes they decode to. */
function valueBytes(data: unknown, base64: boolean): number {
  if (!isMap(data)) return 0;
  let total = 0;
  for (const v of Object.values(data)) {
    if (typeof v === 'string') total += base64 ? Buffer.from(v, 'base64').length : Buffer.byteLength(v);
  }
  return total;
}

/**
 * The size limit of a ConfigMap (`data` and decoded `binaryData` together, reported on the
 * whole object, the field `[]`) and of a Secret (decoded `data`, reported on `data`).
 */
function dataSizeErrors(obj: KubeObject, plural: string): FieldError[] {
  const configMap = plural === 'configmaps';
  const size = configMap
    ? valueBytes(obj.data, false) + valueBytes(obj.binaryData, true)
    : valueBytes(obj.data, true);
  if (size <= MAX_DATA_BYTES) return [];
  return [
    {
      field: configMap ? '[]' : 'data',
      type: 'FieldValueTooLong',
      detail: `Too long: may not be more than ${MAX_DATA_BYTES} bytes`,
    },
  ];
}

function validateConfigData(obj: KubeObject, plural: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ['data', 'binaryData', 'stringData']) {
    const data = obj[field];
    if (isMap(data)) for (const k of Object.keys(data)) errors.push(...configKeyErrors(field, k));
  }
  return [...errors, ...dataSizeErrors(obj, plural)];
}

function validateLease(obj: KubeObject): FieldError[] {
  if (!isMap(obj.spec)) return [];
  const d = obj.spec.leaseDurationSeconds;
  if (typeof d !== 'number' || d > 0) return [];
  return [
    {
      field: 'spec.leaseDurationSeconds',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(d)}: must be greater than 0`,
    },
  ];
}

function validateServicePorts(obj: KubeObject): FieldError[] {
  if (!isMap(obj.spec) || !Array.isArray(obj.spec.ports)) return [];
  return obj.spec.ports.flatMap((p: unknown, i): FieldError[] =>
    isMap(p) ? portRangeError(`spec.ports[${i}].port`, p.port ?? 0) : [],
  );
}

/** Rules for built-in kinds that real clients rely on being enforced. */
export function validateBuiltin(obj: KubeObject, type: ResourceType): FieldError[] {
  if (type.group === 'coordination.k8s.io') return validateLease(obj);
  if (type.group !== '') return [];
  switch (type.plural) {
    case 'pods':
      return validatePod(obj);
    case 'configmaps':
    case 'secrets':
      return validateConfigData(obj, type.plural);
    case 'services':
      return validateServicePorts(obj);
    default:
      return [];
  }
}
