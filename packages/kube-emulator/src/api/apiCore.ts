// SPDX-License-Identifier: Apache-2.0
/**
 * The semantics of the Kubernetes API, independent of HTTP: create, get, list, update, patch,
 * delete and watch with resourceVersions, conflicts, generation, status subresources,
 * finalizers, deletionTimestamp, dry runs, and validation. Objects handed out are copies;
 * stored objects are never mutated.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type FieldError,
  KubeEmulatorError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  text,
} from '../errors.js';
import { crdAcceptedStatus, crdResourceType, defaultCrd, validateCrd } from '../crd/crd.js';
import {
  applyDefaults,
  pruneUnknown,
  unknownFields,
  validateSchema,
  validateTransitionRules,
} from '../crd/schema.js';
import { applyJsonPatch } from '../patch/jsonPatch.js';
import { applyMergePatch } from '../patch/mergePatch.js';
import { applyStrategicMergePatch } from '../patch/strategicMergePatch.js';
import { applyBuiltinDefaults, createIpAllocator, prepareForCreate } from '../resources/defaults.js';
import { INITIAL_NAMESPACES } from '../resources/builtin.js';
import { type ResourceRegistry } from '../resources/resourceRegistry.js';
import { validateBuiltinUpdate } from '../resources/immutability.js';
import { dropUnknownBuiltinFields } from '../resources/knownFields.js';
import { validateBuiltin, validateMetadata } from '../resources/validation.js';
import { type ObjectStore, objectKey } from '../store/objectStore.js';
import { type WatchHub } from '../store/watchHub.js';
import { type JsonObject, type KubeObject, type ResourceType, apiVersionOf } from '../types.js';
import { toServed, toStorage } from './conversion.js';
import { createListWatch } from './listWatch.js';

/** Which resource a request addresses. */
export interface Scope {
  type: ResourceType;
  version: string;
  /** Request namespace (namespaced kinds; undefined = all namespaces for list/watch). */
  namespace?: string;
}

/** Options shared by writes. */
export interface WriteOptions {
  dryRun?: boolean;
  /** `Strict` rejects unknown fields of custom resources; otherwise they are pruned. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** List/watch options (query parameters). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

/** The result of a list: items as served objects, or JSON text when no conversion is needed. */
export interface ListResult {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** Served objects; present when `json` is not. */
  items: KubeObject[];
  /** JSON text of each item, when the served form equals the cached stored JSON. */
  json?: string[];
}

/** DeleteOptions (body or query). */
export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  gracePeriodSeconds?: number;
}

/** Patch content types the emulator understands. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** A watch event as sent to clients (served form). */
export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | JsonObject;
}

/** Watch options. */
export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/** What the core tells the controllers after a change. */
export interface CoreHooks {
  /** Called after an object left storage. */
  onRemoved(type: ResourceType, obj: KubeObject): void;
  /** Called after an object was written with a deletionTimestamp. */
  onDeleting(type: ResourceType, obj: KubeObject): void;
}

/** The API core. */
export interface ApiCore {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  get(scope: Scope, name: string): KubeObject;
  list(scope: Scope, options: ListOptions): ListResult;
  create(scope: Scope, body: unknown, options: WriteOptions): Promise<KubeObject>;
  update(
    scope: Scope,
    name: string,
    body: unknown,
    options: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject>;
  patch(
    scope: Scope,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject>;
  /** Returns the object as it is after the call (deleted, or marked for deletion) and whether it is gone. */
  delete(scope: Scope, name: string, options: DeleteOptions): Promise<{ obj: KubeObject; gone: boolean }>;
  deleteCollection(scope: Scope, list: ListOptions, options: DeleteOptions): Promise<KubeObject[]>;
  /**
   * Starts a watch. `send` receives events; `close` ends the stream. Returns a stop function.
   * Throws for bad options.
   */
  watch(scope: Scope, options: WatchOptions, send: (e: WatchEventOut) => void, close: () => void): () => void;
  /** `POST pods/NAME/binding`: assigns a pod to a node, as the scheduler does. */
  bind(scope: Scope, name: string, body: unknown, options: WriteOptions): Promise<void>;
  /** Writes a stored object back with changes made by a controller (no validation, no RV check). */
  systemUpdate(type: ResourceType, obj: KubeObject): Promise<void>;
  /** Removes an object for a controller, honouring finalizers. */
  systemDelete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    policy?: DeleteOptions['propagationPolicy'],
  ): Promise<void>;
  /** Creates the initial namespaces and restores CRD types after a load. */
  bootstrap(): Promise<void>;
  /** Registers a CRD's resource type from its stored object (used on restore). */
  serveCrd(obj: KubeObject): void;
  setHooks(hooks: CoreHooks): void;
  /** Interval for watch bookmarks. */
  bookmarkIntervalMs: number;
}

const CRD_KEY = 'customresourcedefinitions.apiextensions.k8s.io';

function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNamespaceType(type: ResourceType): boolean {
  return type.group === '' && type.plural === 'namespaces';
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Drops empty metadata maps and lists, as Go's `omitempty` does on the wire. */
function normalizeMeta(md: KubeObject['metadata']): void {
  for (const key of ['labels', 'annotations'] as const) {
    const v = md[key];
    if (v === null || (isMap(v) && Object.keys(v).length === 0)) delete md[key];
  }
  for (const key of ['finalizers', 'ownerReferences'] as const) {
    const v = md[key];
    if (v === null || (Array.isArray(v) && v.length === 0)) delete md[key];
  }
}

/** Everything but metadata and status: what a spec change compares. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Creates the API core. */
export function createApiCore(registry: ResourceRegistry, store: ObjectStore, hub: WatchHub): ApiCore {
  let hooks: CoreHooks = { onRemoved: () => undefined, onDeleting: () => undefined };
  const ips = createIpAllocator();

  function storageKey(type: ResourceType): string {
    return registry.storageKey(type);
  }

  function requireNamespace(scope: Scope): string | undefined {
    if (!scope.type.namespaced) return undefined;
    if (!scope.namespace)
      throw badRequest('the server could not find the requested resource: a namespace is required');
    return scope.namespace;
  }

  function checkNamespaceForCreate(namespace: string): void {
    const ns = store.get('namespaces', namespace);
    if (!ns) throw notFound('', 'namespaces', namespace);
    if (ns.obj.metadata.deletionTimestamp) {
      throw new KubeEmulatorError(
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          details: {
            name: namespace,
            kind: 'namespaces',
            causes: [
              {
                reason: 'NamespaceTerminating',
                message: `namespace ${namespace} is being terminated`,
                field: 'metadata.namespace',
              },
            ],
          },
        },
      );
    }
  }

  function parseBody(scope: Scope, body: unknown, options?: WriteOptions): KubeObject {
    if (!isMap(body))
      throw badRequest(
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    const type = scope.type;
    const expected = apiVersionOf(type.group, scope.version);
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${text(body.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (body.kind !== undefined && body.kind !== type.kind) {
      throw badRequest(
        `the kind in the data (${text(body.kind)}) does not match the expected kind (${type.kind})`,
      );
    }
    if (type.crd && (body.kind === undefined || body.apiVersion === undefined)) {
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    }
    if (body.metadata !== undefined && !isMap(body.metadata)) {
      throw badRequest('json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta');
    }
    const obj = clone(body) as KubeObject;
    obj.apiVersion = expected;
    obj.kind = type.kind;
    obj.metadata ??= {};
    for (const f of ['name', 'namespace', 'generateName', 'resourceVersion', 'uid'] as const) {
      const v = obj.metadata[f];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        throw badRequest(
          `json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${f} of type string`,
        );
      }
      if (v === null) delete obj.metadata[f];
    }
    if (options) {
      const unknown = dropUnknownBuiltinFields(obj, type);
      if (unknown.length > 0 && options.fieldValidation === 'Strict') {
        throw badRequest(
          `${type.kind} in version "${scope.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`,
        );
      }
    }
    return obj;
  }

  function validateAll(obj: KubeObject, type: ResourceType, version: string, options: WriteOptions): void {
    const errors: FieldError[] = validateMetadata(obj, type);
    if (type.crd) {
      const schema = type.crd.versions[version]?.schema;
      if (schema && !type.crd.preserveUnknownFields) {
        if (options.fieldValidation === 'Strict') {
          const unknown = unknownFields(schema, obj);
          if (unknown.length > 0) {
            throw badRequest(`strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`);
          }
        }
        pruneUnknown(schema, obj, true);
      }
      errors.push(...validateSchema(schemaWithoutMeta(schema), obj));
    } else {
      errors.push(...validateBuiltin(obj, type));
      if (storageKey(type) === CRD_KEY) errors.push(...validateCrd(obj));
    }
    if (errors.length > 0) throw invalid(type.kind, type.group, obj.metadata.name ?? '', errors);
  }

  function schemaWithoutMeta(schema: JsonObject | undefined): JsonObject | undefined {
    if (!schema || !isMap(schema.properties)) return schema;
    const { metadata: _m, apiVersion: _a, kind: _k, ...props } = schema.properties;
    return { ...schema, properties: props };
  }

  function defaultAll(obj: KubeObject, type: ResourceType, version: string): void {
    if (type.crd) applyDefaults(type.crd.versions[version]?.schema, obj);
    else applyBuiltinDefaults(obj, type);
    if (storageKey(type) === CRD_KEY) defaultCrd(obj);
  }

  function served(scope: Scope, obj: KubeObject): KubeObject {
    return clone(toServed(scope.type, scope.version, obj));
  }

  function assignClusterIp(obj: KubeObject): void {
    if (!isMap(obj.spec)) return;
    const spec = obj.spec;
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') {
      spec.clusterIPs ??= [spec.clusterIP];
      return;
    }
    const inUse = new Set<string>();
    for (const e of store.list('services')) {
      const ip = (e.obj.spec as JsonObject | undefined)?.clusterIP;
      if (typeof ip === 'string') inUse.add(ip);
    }
    spec.clusterIP = ips.allocate(inUse);
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }

  async function write(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    const { entry, durable } = store.put(storageKey(type), obj);
    await durable;
    if (obj.metadata.deletionTimestamp) hooks.onDeleting(type, entry.obj);
    return entry.obj;
  }

  async function removeStored(type: ResourceType, obj: KubeObject): Promise<KubeObject> {
    const removed = store.remove(storageKey(type), objectKey(obj.metadata.namespace, obj.metadata.name!));
    if (!removed) return obj;
    await removed.durable;
    if (storageKey(type) === CRD_KEY) await unserveCrd(removed.obj);
    hooks.onRemoved(type, removed.obj);
    return removed.obj;
  }

  function serveCrd(obj: KubeObject): void {
    const type = crdResourceType(obj);
    registry.register(type);
  }

  async function unserveCrd(obj: KubeObject): Promise<void> {
    const spec = obj.spec as JsonObject;
    const names = spec.names as JsonObject;
    registry.unregister(String(spec.group), String(names.plural));
    const key = `${String(names.plural)}.${String(spec.group)}`;
    await store.dropTable(key);
    // Watches of a resource that is no longer served end, as in the apiserver.
    hub.endAll(key);
  }

  function checkCrdConflicts(obj: KubeObject, existing?: KubeObject): void {
    const spec = obj.spec as JsonObject;
    const names = spec.names as JsonObject;
    const other = registry.byKey(`${String(names.plural)}.${String(spec.group)}`);
    if (other && !other.crd) {
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name!, [
        {
          field: 'spec.names.plural',
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${JSON.stringify(names.plural)}: conflicts with a built-in resource`,
        },
      ]);
    }
    if (existing) {
      const oldSpec = existing.spec as JsonObject;
      if (oldSpec.scope !== spec.scope) {
        throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name!, [
          {
            field: 'spec.scope',
            type: 'FieldValueInvalid',
            detail: `Invalid value: ${JSON.stringify(spec.scope)}: field is immutable`,
          },
        ]);
      }
    }
  }

  async function create(scope: Scope, body: unknown, options: WriteOptions): Promise<KubeObject> {
    const type = scope.type;
    const namespace = requireNamespace(scope);
    const parsed = parseBody(scope, body, options);
    const md = parsed.metadata;
    if (type.namespaced) {
      if (md.namespace !== undefined && md.namespace !== '' && md.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      md.namespace = namespace;
    } else delete md.namespace;
    if (
      (md.name === undefined || md.name === '') &&
      typeof md.generateName === 'string' &&
      md.generateName !== ''
    ) {
      md.name = `${md.generateName}${randomBytes(4).readUInt32BE(0).toString(36).padStart(5, 'x').slice(-5)}`;
    }
    if (md.name === undefined || md.name === '') {
      throw invalid(type.kind, type.group, '', [
        {
          field: 'metadata.name',
          type: 'FieldValueRequired',
          detail: 'Required value: name or generateName is required',
        },
      ]);
    }
    const obj = toStorage(type, scope.version, parsed);
    obj.metadata = md;
    prepareForCreate(obj, type);
    normalizeMeta(md);
    defaultAll(obj, type, scope.version);
    validateAll(obj, type, scope.version, options);
    if (namespace !== undefined) checkNamespaceForCreate(namespace);
    if (store.get(storageKey(type), objectKey(namespace, md.name)))
      throw alreadyExists(type.group, type.plural, md.name);
    if (storageKey(type) === CRD_KEY) checkCrdConflicts(obj);
    md.uid = randomUUID();
    md.creationTimestamp = now();
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    delete md.resourceVersion;
    delete md.managedFields;
    delete md.selfLink;
    if (type.hasGeneration) md.generation = 1;
    else delete md.generation;
    if (type.group === '' && type.plural === 'services') assignClusterIp(obj);
    if (storageKey(type) === CRD_KEY) obj.status = crdAcceptedStatus(obj, md.creationTimestamp);
    if (options.dryRun) return served(scope, obj);
    const stored = await write(type, obj);
    if (storageKey(type) === CRD_KEY) serveCrd(stored);
    return served(scope, stored);
  }

  function getStored(scope: Scope, name: string): KubeObject {
    const namespace = requireNamespace(scope);
    const entry = store.get(storageKey(scope.type), objectKey(namespace, name));
    if (!entry) throw notFound(scope.type.group, scope.type.plural, name);
    return entry.obj;
  }

  /** The common tail of update and patch: merges, validates, stores. */
  async function applyUpdate(
    scope: Scope,
    existing: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
    subresource: string | undefined,
    requireRv: boolean,
  ): Promise<KubeObject> {
    const type = scope.type;
    const name = existing.metadata.name!;
    const rv = incoming.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) {
      throw conflict(
        type.group,
        type.plural,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    if ((rv === undefined || rv === '') && requireRv && !type.allowUnconditionalUpdate) {
      throw invalid(type.kind, type.group, name, [
        {
          field: 'metadata.resourceVersion',
          type: 'FieldValueInvalid',
          detail: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    const uid = incoming.metadata.uid;
    if (uid !== undefined && uid !== '' && uid !== existing.metadata.uid) {
      throw conflict(
        type.group,
        type.plural,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    let next: KubeObject;
    const converted = toStorage(type, scope.version, incoming);
    if (subresource === 'status') {
      next = { ...clone(existing), status: clone(converted.status) };
      if (next.status === undefined) delete next.status;
    } else {
      next = converted;
      next.metadata = { ...incoming.metadata };
      if (type.hasStatus) {
        if (existing.status === undefined) delete next.status;
        else next.status = clone(existing.status);
      }
      if (storageKey(type) === CRD_KEY) next.status = clone(existing.status);
    }
    const md = next.metadata;
    const old = existing.metadata;
    md.name = old.name;
    if (old.namespace !== undefined) md.namespace = old.namespace;
    else delete md.namespace;
    md.uid = old.uid;
    md.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp) {
      md.deletionTimestamp = old.deletionTimestamp;
      md.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete md.deletionTimestamp;
      delete md.deletionGracePeriodSeconds;
    }
    delete md.managedFields;
    delete md.selfLink;
    md.resourceVersion = old.resourceVersion;
    if (type.group === '' && type.plural === 'namespaces' && subresource !== 'finalize')
      next.spec = clone(existing.spec);
    if (type.group === '' && type.plural === 'services' && isMap(next.spec) && isMap(existing.spec)) {
      next.spec.clusterIP ??= existing.spec.clusterIP;
      next.spec.clusterIPs ??= existing.spec.clusterIPs;
    }
    normalizeMeta(md);
    defaultAll(next, type, scope.version);
    validateAll(next, type, scope.version, options);
    if (subresource === undefined && !type.crd) {
      const refused = validateBuiltinUpdate(next, existing, type);
      if (refused.length > 0) throw invalid(type.kind, type.group, name, refused);
    }
    if (type.crd) {
      const schema = type.crd.versions[scope.version]?.schema;
      const refused = validateTransitionRules(
        schemaWithoutMeta(schema),
        toServed(type, scope.version, next),
        toServed(type, scope.version, existing),
      );
      if (refused.length > 0) throw invalid(type.kind, type.group, name, refused);
    }
    if (storageKey(type) === CRD_KEY) checkCrdConflicts(next, existing);
    if (old.deletionTimestamp) {
      const before = new Set(old.finalizers ?? []);
      const added = (md.finalizers ?? []).filter(f => !before.has(f));
      if (added.length > 0) {
        throw invalid(type.kind, type.group, name, [
          {
            field: 'metadata.finalizers',
            type: 'FieldValueForbidden',
            detail: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(f => JSON.stringify(f)).join(', ')}}`,
          },
        ]);
      }
    }
    if (type.hasGeneration) {
      md.generation = old.generation ?? 1;
      if (specPart(next) !== specPart(existing)) md.generation = (old.generation ?? 0) + 1;
    }
    if (Array.isArray(md.finalizers) && md.finalizers.length === 0) delete md.finalizers;
    if (storageKey(type) === CRD_KEY) {
      const status = crdAcceptedStatus(next, now());
      const previous = isMap(existing.status) ? existing.status : {};
      next.status = { ...previous, ...status, conditions: previous.conditions ?? status.conditions };
    }
    // A no-op write keeps the resourceVersion and sends no watch event, as the apiserver does.
    if (JSON.stringify(next) === JSON.stringify(existing)) return served(scope, existing);
    if (options.dryRun) return served(scope, next);
    const nsSpecFinalizers =
      isNamespaceType(type) && isMap(next.spec) && Array.isArray(next.spec.finalizers)
        ? next.spec.finalizers.length
        : 0;
    if (md.deletionTimestamp && (md.finalizers ?? []).length === 0 && nsSpecFinalizers === 0) {
      const removed = await removeStored(type, next);
      return served(scope, removed);
    }
    const stored = await write(type, next);
    if (storageKey(type) === CRD_KEY) serveCrd(stored);
    return served(scope, stored);
  }

  function checkName(scope: Scope, name: string, obj: KubeObject): void {
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (
      scope.type.namespaced &&
      obj.metadata.namespace !== undefined &&
      obj.metadata.namespace !== '' &&
      obj.metadata.namespace !== scope.namespace
    ) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
  }

  function checkSubresource(scope: Scope, subresource: string | undefined): void {
    if (subresource === undefined) return;
    const type = scope.type;
    const ok =
      (subresource === 'status' &&
        (type.crd ? type.crd.versions[scope.version]?.subresources.status === true : type.hasStatus)) ||
      (subresource === 'finalize' && type.group === '' && type.plural === 'namespaces');
    if (!ok)
      throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource', {
        details: {},
      });
  }

  async function patchObject(
    scope: Scope,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject> {
    checkSubresource(scope, subresource);
    const type = scope.type;
    if (patchType === 'strategic' && !type.strategicMerge) {
      throw new KubeEmulatorError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    let existing: KubeObject;
    try {
      existing = getStored(scope, name);
    } catch (error) {
      // Server-side apply creates what does not exist yet.
      if (
        patchType === 'apply' &&
        KubeEmulatorError.is(error) &&
        error.kind === 'NotFound' &&
        subresource === undefined
      ) {
        return create(scope, patch, options);
      }
      throw error;
    }
    const current = served(scope, existing);
    let result: unknown;
    switch (patchType) {
      case 'json':
        result = applyJsonPatch(current, patch);
        break;
      case 'merge':
      case 'apply':
        if (!isMap(patch))
          throw badRequest(
            'the body of the request was in an unknown format: a merge patch must be a JSON object',
          );
        result = applyMergePatch(current, patch);
        break;
      case 'strategic':
        result = applyStrategicMergePatch(current, patch, scope.type.kind);
        break;
    }
    if (!isMap(result)) throw badRequest('the patch produced a value that is not an object');
    const incoming = parseBody(scope, result, options);
    checkName(scope, name, incoming);
    // A patch that does not name a resourceVersion is unconditional.
    const rvInPatch =
      patchType === 'json'
        ? incoming.metadata.resourceVersion !== existing.metadata.resourceVersion
        : isMap(patch) && isMap(patch.metadata) && 'resourceVersion' in patch.metadata;
    if (!rvInPatch) incoming.metadata.resourceVersion = existing.metadata.resourceVersion;
    return applyUpdate(scope, existing, incoming, options, subresource, false);
  }

  async function deleteObject(
    scope: Scope,
    name: string,
    options: DeleteOptions,
  ): Promise<{ obj: KubeObject; gone: boolean }> {
    const type = scope.type;
    const existing = getStored(scope, name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== existing.metadata.uid) {
      throw conflict(
        type.group,
        type.plural,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        type.group,
        type.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    const isNamespace = type.group === '' && type.plural === 'namespaces';
    const finalizers = [...(existing.metadata.finalizers ?? [])];
    const policy = options.propagationPolicy;
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    const specFinalizers =
      isNamespace && isMap(existing.spec) && Array.isArray(existing.spec.finalizers)
        ? existing.spec.finalizers
        : [];
    if (finalizers.length === 0 && specFinalizers.length === 0) {
      if (options.dryRun) return { obj: served(scope, existing), gone: true };
      const removed = await removeStored(type, existing);
      return { obj: served(scope, removed), gone: true };
    }
    if (
      existing.metadata.deletionTimestamp &&
      finalizers.length === (existing.metadata.finalizers ?? []).length
    ) {
      return { obj: served(scope, existing), gone: false };
    }
    const next = clone(existing);
    next.metadata.finalizers = finalizers.length > 0 ? finalizers : undefined;
    if (next.metadata.finalizers === undefined) delete next.metadata.finalizers;
    next.metadata.deletionTimestamp ??= now();
    next.metadata.deletionGracePeriodSeconds ??= 0;
    if (isNamespace) next.status = { ...(isMap(next.status) ? next.status : {}), phase: 'Terminating' };
    if (options.dryRun) return { obj: served(scope, next), gone: false };
    const stored = await write(type, next);
    return { obj: served(scope, stored), gone: false };
  }

  const listWatch = createListWatch({
    registry,
    store,
    hub,
    bookmarkIntervalMs: () => api.bookmarkIntervalMs,
  });
  const { list, watch } = listWatch;

  const api: ApiCore = {
    registry,
    store,
    bookmarkIntervalMs: 60_000,
    setHooks(h) {
      hooks = h;
    },
    get(scope, name) {
      return served(scope, getStored(scope, name));
    },
    list,
    create,
    async update(scope, name, body, options, subresource) {
      checkSubresource(scope, subresource);
      const incoming = parseBody(scope, body, options);
      checkName(scope, name, incoming);
      const existing = store.get(storageKey(scope.type), objectKey(requireNamespace(scope), name));
      if (!existing) throw notFound(scope.type.group, scope.type.plural, name);
      return applyUpdate(scope, existing.obj, incoming, options, subresource, true);
    },
    patch: patchObject,
    delete: deleteObject,
    async bind(scope, name, body, options) {
      if (!(scope.type.group === '' && scope.type.plural === 'pods')) {
        throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
      }
      const target = isMap(body) && isMap(body.target) ? body.target : undefined;
      if (!target || typeof target.name !== 'string' || target.name === '') {
        throw invalid('Binding', '', name, [
          { field: 'target.name', type: 'FieldValueRequired', detail: 'Required value' },
        ]);
      }
      const existing = getStored(scope, name);
      const spec = isMap(existing.spec) ? existing.spec : {};
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
        throw conflict('', 'pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      if (existing.metadata.deletionTimestamp) {
        throw conflict('', 'pods', name, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      if (options.dryRun) return;
      const next = clone(existing);
      (next.spec as JsonObject).nodeName = target.name;
      const status = isMap(next.status) ? next.status : {};
      const conditions = Array.isArray(status.conditions)
        ? status.conditions.filter(c => !(isMap(c) && c.type === 'PodScheduled'))
        : [];
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now(),
      });
      next.status = { ...status, conditions };
      await write(scope.type, next);
    },
    async deleteCollection(scope, listOptions, options) {
      const result = list(scope, { ...listOptions, limit: undefined, continue: undefined });
      const items = result.json ? result.json.map(j => JSON.parse(j) as KubeObject) : result.items;
      const out: KubeObject[] = [];
      for (const item of items) {
        try {
          const s = { ...scope, namespace: item.metadata.namespace };
          out.push((await deleteObject(s, item.metadata.name!, options)).obj);
        } catch (error) {
          if (!(KubeEmulatorError.is(error) && error.kind === 'NotFound')) throw error;
        }
      }
      return out;
    },
    watch,
    async systemUpdate(type, obj) {
      const existing = store.get(storageKey(type), objectKey(obj.metadata.namespace, obj.metadata.name!));
      if (!existing) return;
      if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
        const nsSpecFinalizers =
          type.group === '' &&
          type.plural === 'namespaces' &&
          isMap(obj.spec) &&
          Array.isArray(obj.spec.finalizers)
            ? obj.spec.finalizers
            : [];
        if (nsSpecFinalizers.length === 0) {
          await removeStored(type, obj);
          return;
        }
      }
      if (JSON.stringify(obj) === JSON.stringify(existing.obj)) return;
      await write(type, obj);
    },
    async systemDelete(type, namespace, name, policy) {
      const scope: Scope = { type, version: type.versions[0], namespace };
      try {
        await deleteObject(scope, name, policy ? { propagationPolicy: policy } : {});
      } catch (error) {
        if (!(KubeEmulatorError.is(error) && error.kind === 'NotFound')) throw error;
      }
    },
    serveCrd,
    async bootstrap() {
      for (const e of store.list(CRD_KEY)) serveCrd(e.obj);
      const nsType = registry.lookup('', 'v1', 'namespaces')!;
      for (const name of INITIAL_NAMESPACES) {
        if (!store.get('namespaces', name)) {
          await create({ type: nsType, version: 'v1' }, { metadata: { name } }, {});
        }
      }
    },
  };
  return api;
}
