// SPDX-License-Identifier: Apache-2.0
/**
 * `create`: a new object gets its namespace from the request, a name (or one made from
 * `generateName`), a uid, a creation timestamp, generation 1, a cluster IP (services), and the
 * status the apiserver's create strategy resets it to.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { KubeEmulatorError, alreadyExists, badRequest, invalid, notFound } from '../errors.js';
import { crdAcceptedStatus } from '../crd/crd.js';
import { prepareForCreate } from '../resources/defaults.js';
import { builtinSchema } from '../resources/builtinSchemas.js';
import { generateJobSelector } from '../resources/jobs.js';
import { objectKey } from '../store/objectStore.js';
import { type JsonObject, type KubeObject, type ResourceType, isMap } from '../types.js';
import { admitWrite, defaultAll, validateAll } from './admission.js';
import { type Scope, type WriteOptions } from './apiTypes.js';
import { toStorage } from './conversion.js';
import { type CoreContext } from './coreContext.js';
import { checkCrdConflicts } from './crdServing.js';
import { normalizeMeta } from './objectMeta.js';
import { parseBody } from './parseBody.js';

/** Sets the request namespace on a namespaced object (refusing another), drops it otherwise. */
function assignNamespace(
  type: ResourceType,
  md: KubeObject['metadata'],
  namespace: string | undefined,
): void {
  if (!type.namespaced) {
    delete md.namespace;
    return;
  }
  if (md.namespace !== undefined && md.namespace !== '' && md.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  md.namespace = namespace;
}

/** Makes a name from `generateName` when there is none; 422 when there is neither. */
function assignName(type: ResourceType, md: KubeObject['metadata']): string {
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
  return md.name;
}

/** Replaces what only the server sets: uid, timestamps, generation; nothing of a deletion is kept. */
function setServerMeta(type: ResourceType, md: KubeObject['metadata'], now: string): void {
  md.uid = randomUUID();
  md.creationTimestamp = now;
  delete md.deletionTimestamp;
  delete md.deletionGracePeriodSeconds;
  delete md.resourceVersion;
  delete md.managedFields;
  delete md.selfLink;
  if (type.hasGeneration) md.generation = 1;
  else delete md.generation;
}

/** 404 for a namespace that does not exist, 403 for one being deleted. */
function checkNamespaceForCreate(ctx: CoreContext, namespace: string): void {
  const ns = ctx.store.get('namespaces', namespace);
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

/** Gives a service a cluster IP (and its family fields) unless it names one or is headless. */
function assignClusterIp(ctx: CoreContext, obj: KubeObject): void {
  if (!isMap(obj.spec)) return;
  const spec = obj.spec;
  if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return;
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') {
    spec.clusterIPs ??= [spec.clusterIP];
    return;
  }
  const inUse = new Set<string>();
  for (const e of ctx.store.list('services')) {
    const ip = (e.obj.spec as JsonObject | undefined)?.clusterIP;
    if (typeof ip === 'string') inUse.add(ip);
  }
  spec.clusterIP = ctx.ips.allocate(inUse);
  spec.clusterIPs = [spec.clusterIP];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
}

/** Creates an object; returns it as stored (or, for a dry run, as it would be). */
export async function createObject(
  ctx: CoreContext,
  scope: Scope,
  body: unknown,
  options: WriteOptions,
): Promise<KubeObject> {
  const type = scope.type;
  const namespace = ctx.requireNamespace(scope);
  const schema = await builtinSchema(type, scope.version);
  const parsed = parseBody(scope, body, { options, schema });
  const md = parsed.metadata;
  assignNamespace(type, md, namespace);
  const name = assignName(type, md);
  const obj = toStorage(type, scope.version, parsed);
  obj.metadata = md;
  prepareForCreate(obj, type);
  normalizeMeta(md);
  defaultAll(obj, type, scope.version);
  validateAll(obj, type, scope.version, options, schema);
  if (namespace !== undefined) checkNamespaceForCreate(ctx, namespace);
  if (ctx.store.get(ctx.storageKey(type), objectKey(namespace, name)))
    throw alreadyExists(type.group, type.plural, name);
  if (ctx.isCrdType(type)) checkCrdConflicts(ctx.registry, obj);
  setServerMeta(type, md, ctx.now());
  if (type.group === '' && type.plural === 'services') assignClusterIp(ctx, obj);
  if (type.group === 'batch' && type.plural === 'jobs') generateJobSelector(obj);
  if (ctx.isCrdType(type)) obj.status = crdAcceptedStatus(obj, md.creationTimestamp!);
  admitWrite(ctx, scope, 'CREATE', obj, null, options);
  if (options.dryRun) return ctx.served(scope, obj);
  const stored = await ctx.write(type, obj);
  if (ctx.isCrdType(type)) ctx.serveCrd(stored);
  return ctx.served(scope, stored);
}
