// SPDX-License-Identifier: Apache-2.0
/** CustomResourceDefinitions: validation, defaulting, and the resource type a CRD serves. */
import { compileErrors, schemaCost } from '@chaosplane/cel';
import { type FieldError, quoteValue } from '../errors.js';
import { type JsonObject, type KubeObject, type PrinterColumn, type ResourceType, isMap } from '../types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Fills CRD defaults the apiserver applies (singular, listKind, conversion strategy). */
export function defaultCrd(obj: KubeObject): void {
  const spec = isMap(obj.spec) ? obj.spec : undefined;
  if (!spec) return;
  const names = isMap(spec.names) ? spec.names : undefined;
  if (names && typeof names.kind === 'string') {
    if (names.singular === undefined) names.singular = names.kind.toLowerCase();
    if (names.listKind === undefined) names.listKind = `${names.kind}List`;
  }
  if (spec.conversion === undefined) spec.conversion = { strategy: 'None' };
  if (Array.isArray(spec.versions)) for (const v of spec.versions) defaultPrinterColumns(v);
}

/** Printer columns without a priority get 0. */
function defaultPrinterColumns(version: unknown): void {
  if (!isMap(version) || !Array.isArray(version.additionalPrinterColumns)) return;
  for (const c of version.additionalPrinterColumns) if (isMap(c) && c.priority === undefined) c.priority = 0;
}

const REQUIRED = 'Required value';
const LABEL_DETAIL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'";

function required(field: string): FieldError {
  return { field, type: 'FieldValueRequired', detail: REQUIRED };
}

function groupErrors(group: unknown): FieldError[] {
  if (typeof group !== 'string' || group === '') return [required('spec.group')];
  if (GROUP.test(group) && group.includes('.')) return [];
  return [
    {
      field: 'spec.group',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(group)}: should be a domain with at least one dot`,
    },
  ];
}

/** `plural` and `kind`, both required. */
function requiredNameErrors(names: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof names.plural !== 'string' || names.plural === '') errors.push(required('spec.names.plural'));
  else if (!DNS_LABEL.test(names.plural))
    errors.push({
      field: 'spec.names.plural',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(names.plural)}: ${LABEL_DETAIL}`,
    });
  if (typeof names.kind !== 'string' || names.kind === '') errors.push(required('spec.names.kind'));
  else if (!KIND.test(names.kind))
    errors.push({
      field: 'spec.names.kind',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(names.kind)}: may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?`,
    });
  return errors;
}

/** `singular` and `shortNames`, where given. */
function optionalNameErrors(names: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  if (
    names.singular !== undefined &&
    (typeof names.singular !== 'string' || !DNS_LABEL.test(names.singular))
  ) {
    errors.push({
      field: 'spec.names.singular',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(names.singular)}: ${LABEL_DETAIL}`,
    });
  }
  const shortNames = names.shortNames;
  if (
    shortNames !== undefined &&
    !(Array.isArray(shortNames) && shortNames.every(s => typeof s === 'string' && DNS_LABEL.test(s)))
  ) {
    errors.push({
      field: 'spec.names.shortNames',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(shortNames)}: must be a list of lowercase RFC 1123 labels`,
    });
  }
  return errors;
}

/** `spec.names`, and the CRD's name, which must be `plural.group`. */
function namesErrors(names: unknown, group: unknown, name: unknown): FieldError[] {
  if (!isMap(names)) return [required('spec.names')];
  const errors = [...requiredNameErrors(names), ...optionalNameErrors(names)];
  if (typeof names.plural === 'string' && typeof group === 'string' && name !== `${names.plural}.${group}`) {
    errors.push({
      field: 'metadata.name',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(name)}: must be spec.names.plural+"."+spec.group`,
    });
  }
  return errors;
}

function scopeErrors(scope: unknown): FieldError[] {
  if (scope === 'Namespaced' || scope === 'Cluster') return [];
  if (scope === undefined) return [required('spec.scope')];
  return [
    {
      field: 'spec.scope',
      type: 'FieldValueNotSupported',
      detail: `Unsupported value: ${quoteValue(scope)}: supported values: "Cluster", "Namespaced"`,
    },
  ];
}

/** A version's name: a valid version string, given once. */
function versionNameErrors(v: JsonObject, f: string, seen: Set<string>): FieldError[] {
  if (typeof v.name !== 'string' || !VERSION.test(v.name))
    return [
      {
        field: `${f}.name`,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(v.name)}: must be a valid DNS label`,
      },
    ];
  if (seen.has(v.name))
    return [
      {
        field: `${f}.name`,
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${quoteValue(v.name)}: must appear only once`,
      },
    ];
  seen.add(v.name);
  return [];
}

/**
 * The CEL rules of a version's schema, as the API server checks them when a CRD is written: each
 * must compile, each rule's estimated cost (times the most times its node can occur) and each
 * messageExpression's must be within the per-expression budget, and all of them together within
 * the per-CRD budget (@chaosplane/cel's schemaCost, with the API server's paths and wording).
 */
function celErrors(schema: JsonObject, base: string): FieldError[] {
  const compile = compileErrors(schema).map(e => ({
    field: `${base}.${e.field}`,
    type: 'FieldValueInvalid' as const,
    detail: `Invalid value: "string": ${e.message}`,
  }));
  const cost = schemaCost(schema).errors.map(e => ({
    field: e.field === '' ? base : `${base}.${e.field}`,
    type: 'FieldValueForbidden' as const,
    detail: e.detail,
  }));
  return [...compile, ...cost];
}

/** A version's schema: required (unless the CRD preserves unknown fields), an object at the root. */
function versionSchemaErrors(v: JsonObject, f: string, preserveUnknownFields: boolean): FieldError[] {
  const schema = isMap(v.schema) ? v.schema.openAPIV3Schema : undefined;
  if (schema === undefined) {
    if (preserveUnknownFields) return [];
    return [
      {
        field: `${f}.schema.openAPIV3Schema`,
        type: 'FieldValueRequired',
        detail: 'Required value: schemas are required',
      },
    ];
  }
  if (isMap(schema) && (schema.type === 'object' || schema.type === undefined))
    return celErrors(schema, `${f}.schema.openAPIV3Schema`);
  return [
    {
      field: `${f}.schema.openAPIV3Schema.type`,
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(isMap(schema) ? schema.type : schema)}: must be object at the root`,
    },
  ];
}

/** `spec.versions`: each well formed, exactly one of them the storage version. */
function versionsErrors(versions: unknown, preserveUnknownFields: boolean): FieldError[] {
  if (!Array.isArray(versions) || versions.length === 0) {
    return [
      {
        field: 'spec.versions',
        type: 'FieldValueInvalid',
        detail: 'Invalid value: []: must have exactly one version marked as storage version',
      },
    ];
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((v: unknown, i) => {
    const f = `spec.versions[${i}]`;
    if (!isMap(v)) {
      errors.push({ field: f, type: 'FieldValueInvalid', detail: 'Invalid value: must be an object' });
      return;
    }
    errors.push(...versionNameErrors(v, f, seen));
    if (typeof v.served !== 'boolean') errors.push(required(`${f}.served`));
    if (typeof v.storage !== 'boolean') errors.push(required(`${f}.storage`));
    if (v.storage === true) storage++;
    errors.push(...versionSchemaErrors(v, f, preserveUnknownFields));
  });
  if (storage !== 1) {
    errors.push({
      field: 'spec.versions',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(versions.map((v: unknown): unknown => (isMap(v) ? v.name : v)))}: must have exactly one version marked as storage version`,
    });
  }
  return errors;
}

/** Validates a CRD; returns field errors (empty when valid). */
export function validateCrd(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (!isMap(spec)) return [required('spec')];
  return [
    ...groupErrors(spec.group),
    ...namesErrors(spec.names, spec.group, obj.metadata.name),
    ...scopeErrors(spec.scope),
    ...versionsErrors(spec.versions, spec.preserveUnknownFields === true),
  ];
}

/** The resource type a (valid) CRD serves. */
export function crdResourceType(obj: KubeObject): ResourceType {
  const spec = obj.spec as JsonObject;
  const names = spec.names as JsonObject;
  const versions = (spec.versions as JsonObject[]).filter(v => v.served !== false);
  const storageVersion = String((spec.versions as JsonObject[]).find(v => v.storage === true)!.name);
  const info: ResourceType['crd'] = {
    name: obj.metadata.name!,
    versions: {},
    preserveUnknownFields: spec.preserveUnknownFields === true,
  };
  for (const v of versions) {
    const sub = isMap(v.subresources) ? v.subresources : {};
    info.versions[String(v.name)] = {
      schema: isMap(v.schema) && isMap(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined,
      printerColumns: Array.isArray(v.additionalPrinterColumns)
        ? (v.additionalPrinterColumns as PrinterColumn[])
        : [],
      subresources: { status: isMap(sub.status), scale: isMap(sub.scale) },
    };
  }
  const kind = String(names.kind);
  const selectable = versions.flatMap(v =>
    Array.isArray(v.selectableFields) ? (v.selectableFields as JsonObject[]) : [],
  );
  // Sort versions by Kubernetes version priority (GA > beta > alpha, higher number first).
  const served = versions.map(v => String(v.name)).sort(compareKubeVersions);
  return {
    group: String(spec.group),
    versions: served,
    storageVersion,
    kind,
    listKind: typeof names.listKind === 'string' ? names.listKind : `${kind}List`,
    plural: String(names.plural),
    singular: typeof names.singular === 'string' ? names.singular : kind.toLowerCase(),
    shortNames: Array.isArray(names.shortNames) ? (names.shortNames as string[]) : [],
    categories: Array.isArray(names.categories) ? (names.categories as string[]) : [],
    namespaced: spec.scope === 'Namespaced',
    hasStatus: versions.some(v => isMap(v.subresources) && isMap(v.subresources.status)),
    hasGeneration: true,
    selectableFields: selectable.map(s => String(s.jsonPath).replace(/^\./, '')),
    crd: info,
    strategicMerge: false,
    allowUnconditionalUpdate: false,
    nameRule: 'subdomain',
  };
}

function versionRank(v: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0];
  const level = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return [level, Number(m[1]), Number(m[3] ?? 0)];
}

/** Orders versions as the apiserver prefers them (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others). */
export function compareKubeVersions(a: string, b: string): number {
  const ra = versionRank(a);
  const rb = versionRank(b);
  const order = rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2];
  if (order !== 0) return order;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** CRD status written by the emulator when it starts serving a CRD. */
export function crdAcceptedStatus(obj: KubeObject, now: string): JsonObject {
  const spec = obj.spec as JsonObject;
  const names = spec.names as JsonObject;
  const storage = String((spec.versions as JsonObject[]).find(v => v.storage === true)!.name);
  const previous =
    isMap(obj.status) && Array.isArray(obj.status.storedVersions)
      ? (obj.status.storedVersions as string[])
      : [];
  const conditions = (type: string, reason: string, message: string): JsonObject => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      conditions('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      conditions('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: { ...names },
    storedVersions: previous.includes(storage) ? previous : [...previous, storage],
  };
}
