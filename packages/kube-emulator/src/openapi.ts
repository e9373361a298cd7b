// SPDX-License-Identifier: Apache-2.0
/**
 * OpenAPI documents, enough for kubectl: `/openapi/v3` lists one document per group/version;
 * each declares, per kind, the operations with `x-kubernetes-group-version-kind` and the
 * `fieldValidation` parameter, so kubectl (1.27+) hands validation to the server
 * (`fieldValidation=Strict`) instead of downloading schemas. `/openapi/v2` is served too, as
 * JSON or as the protobuf kubectl asks for, with the CRD schemas as definitions.
 */
import { createHash } from 'node:crypto';
import { type ResourceRegistry } from './resources/resourceRegistry.js';
import { type JsonObject, type ResourceType } from './types.js';

function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function definitionName(type: ResourceType, version: string): string {
  if (type.crd) return `${type.group.split('.').reverse().join('.')}.${version}.${type.kind}`;
  const pkg = type.group === '' ? 'core' : type.group.replace(/\.k8s\.io$/, '').replace(/\./g, '_');
  return type.group === 'apiextensions.k8s.io'
    ? `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${type.kind}`
    : `io.k8s.api.${pkg}.${version}.${type.kind}`;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function kindSchema(type: ResourceType, version: string): JsonObject {
  const gvk = [{ group: type.group, version, kind: type.kind }];
  const crdSchema = type.crd?.versions[version]?.schema;
  if (crdSchema) {
    const props = (crdSchema.properties as JsonObject | undefined) ?? {};
    return {
      ...crdSchema,
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: `#/components/schemas/${OBJECT_META}` },
        ...Object.fromEntries(
          Object.entries(props).filter(([k]) => k !== 'metadata' && k !== 'apiVersion' && k !== 'kind'),
        ),
      },
      'x-kubernetes-group-version-kind': gvk,
    };
  }
  return {
    type: 'object',
    description: `${type.kind} (served by kube-emulator; fields are validated by the server)`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: `#/components/schemas/${OBJECT_META}` },
    },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': gvk,
  };
}

function param(name: string, where = 'query', required = false): JsonObject {
  return { name, in: where, required, schema: { type: 'string', uniqueItems: true } };
}

function jsonBody(ref: string, types: string[]): JsonObject {
  return { content: Object.fromEntries(types.map(t => [t, { schema: { $ref: ref } }])), required: true };
}

function okResponse(ref: string): JsonObject {
  return {
    '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } },
    '401': { description: 'Unauthorized' },
  };
}

const PATCH_DEFINITION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/** The paths of one kind in one group/version: collection, item and (when served) status. */
function kindPaths(t: ResourceType, group: string, version: string, ref: string): JsonObject {
  const prefix = `/${groupVersionPath(group, version)}`;
  const gvkExt = {
    'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
    'x-kubernetes-action': '',
  };
  const base = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const pathParams = t.namespaced ? [param('namespace', 'path', true)] : [];
  const writeParams = [param('dryRun'), param('fieldManager'), param('fieldValidation')];
  const op = (action: string, extra: JsonObject = {}): JsonObject => ({
    operationId: `${action}${t.kind}`,
    tags: [groupVersionPath(group, version)],
    responses: okResponse(ref),
    ...gvkExt,
    'x-kubernetes-action': action,
    ...extra,
  });
  // What an item and its status both take: get, put and patch.
  const itemOps = (): JsonObject => ({
    parameters: [...pathParams, param('name', 'path', true)],
    get: op('get'),
    put: op('put', { parameters: writeParams, requestBody: jsonBody(ref, ['*/*']) }),
    patch: op('patch', {
      parameters: [...writeParams, param('force')],
      requestBody: jsonBody(`#/components/schemas/${PATCH_DEFINITION}`, PATCH_TYPES),
    }),
  });
  const paths: JsonObject = {
    [base]: {
      parameters: pathParams,
      get: op('list', {
        parameters: [
          param('labelSelector'),
          param('fieldSelector'),
          param('limit'),
          param('continue'),
          param('resourceVersion'),
          param('watch'),
        ],
      }),
      post: op('post', { parameters: writeParams, requestBody: jsonBody(ref, ['*/*']) }),
      delete: op('deletecollection', { parameters: [param('labelSelector'), param('fieldSelector')] }),
    },
    [`${base}/{name}`]: {
      ...itemOps(),
      delete: op('delete', {
        parameters: [param('dryRun'), param('gracePeriodSeconds'), param('propagationPolicy')],
      }),
    },
  };
  const statusServed = t.crd ? t.crd.versions[version]?.subresources.status : t.hasStatus;
  if (statusServed) paths[`${base}/{name}/status`] = itemOps();
  return paths;
}

/** The OpenAPI v3 document of one group/version. */
export function openApiV3Document(
  registry: ResourceRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const types = registry.all().filter(t => t.group === group && t.versions.includes(version));
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {
    [OBJECT_META]: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  };
  for (const t of types) {
    const def = definitionName(t, version);
    schemas[def] = kindSchema(t, version);
    schemas[`${def}List`] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group, version, kind: t.listKind }],
    };
    Object.assign(paths, kindPaths(t, group, version, `#/components/schemas/${def}`));
  }
  schemas[PATCH_DEFINITION] = {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

/** `/openapi/v3`: the index of group/version documents with content hashes. */
export function openApiV3Index(registry: ResourceRegistry): JsonObject {
  const gvs = new Set<string>();
  for (const t of registry.all()) for (const v of t.versions) gvs.add(`${t.group}|${v}`);
  const paths: JsonObject = {};
  for (const gv of [...gvs].sort()) {
    // Every entry is `group|version`, and a version never holds `|`.
    const [group, version] = gv.split('|') as [string, string];
    const doc = openApiV3Document(registry, group, version);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
    paths[groupVersionPath(group, version)] = {
      serverRelativeURL: `/openapi/v3/${groupVersionPath(group, version)}?hash=${hash}`,
    };
  }
  return { paths };
}

/** `/openapi/v2` as JSON: CRD schemas as definitions (built-in kinds are not described). */
export function openApiV2Document(registry: ResourceRegistry): JsonObject {
  const definitions: JsonObject = {};
  for (const t of registry.all()) {
    if (!t.crd) continue;
    for (const v of t.versions) {
      const s = kindSchema(t, v);
      definitions[definitionName(t, v)] = JSON.parse(
        JSON.stringify(s).replaceAll('#/components/schemas/', '#/definitions/'),
      ) as JsonObject;
    }
  }
  definitions[OBJECT_META] = { type: 'object' };
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions };
}

/**
 * `/openapi/v2` as the gnostic protobuf kubectl requests. It carries only `swagger` and
 * `info`: with no definitions kubectl falls back to its compiled-in types for strategic
 * merge and to server-side field validation.
 */
export function openApiV2Protobuf(): Buffer {
  const str = (field: number, value: string): Buffer => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
  };
  const info = Buffer.concat([str(1, 'Kubernetes'), str(2, 'v1.32.0')]);
  return Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}
