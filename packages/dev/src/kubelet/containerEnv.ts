// SPDX-License-Identifier: Apache-2.0
// A container's environment as the kubelet and the runtime make it: the image's Env, then the
// service variables of the API server (KUBERNETES_SERVICE_HOST and _PORT, what in-cluster clients
// read), HOSTNAME, `envFrom` (ConfigMaps and Secrets, with a prefix), then `env` (plain values
// with `$(VAR)` expanded, or `valueFrom` a field, a Secret key or a ConfigMap key). Later entries
// win. A missing Secret, ConfigMap or key that is not optional is a CreateContainerConfigError.
import { ChaosplaneError } from '@chaosplane/sdk';
import { expandVars } from './expandVars.js';
import { fieldRefValue } from './fieldRef.js';
import type { PodRecord, KubeletState } from './kubeletState.js';
import type { EnvVarSource, PodContainer } from './podSpecTypes.js';

interface DataObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A ConfigMap's or Secret's values as text (Secret data is base64). */
export async function readDataObject(
  state: KubeletState,
  kind: 'Secret' | 'ConfigMap',
  namespace: string,
  name: string,
): Promise<Map<string, Buffer> | undefined> {
  const object = await state.core.readCore<DataObject>(
    kind === 'Secret' ? 'secrets' : 'configmaps',
    namespace,
    name,
  );
  if (!object) return undefined;
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {}))
    values.set(key, kind === 'Secret' ? Buffer.from(value, 'base64') : Buffer.from(value));
  for (const [key, value] of Object.entries(object.binaryData ?? {}))
    values.set(key, Buffer.from(value, 'base64'));
  return values;
}

/** The API server's service variables, as the kubelet sets them in every container. */
function serviceEnv(state: KubeletState): [string, string][] {
  const cluster = state.cluster;
  if (!cluster) return [];
  const { host, port } = cluster;
  return [
    ['KUBERNETES_SERVICE_HOST', host],
    ['KUBERNETES_SERVICE_PORT', String(port)],
    ['KUBERNETES_SERVICE_PORT_HTTPS', String(port)],
    ['KUBERNETES_PORT', `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp'],
    [`KUBERNETES_PORT_${port}_TCP_PORT`, String(port)],
    [`KUBERNETES_PORT_${port}_TCP_ADDR`, host],
  ];
}

/** The value of one key of a Secret or ConfigMap, or undefined when optional and missing. */
async function keyRefValue(
  state: KubeletState,
  namespace: string,
  kind: 'Secret' | 'ConfigMap',
  ref: { name: string; key: string; optional?: boolean },
): Promise<string | undefined> {
  const values = await readDataObject(state, kind, namespace, ref.name);
  if (!values) {
    if (ref.optional) return undefined;
    throw new ChaosplaneError('invalid', `${kind.toLowerCase()} "${ref.name}" not found`);
  }
  const value = values.get(ref.key);
  if (value === undefined) {
    if (ref.optional) return undefined;
    throw new ChaosplaneError('invalid', `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`);
  }
  return value.toString('utf8');
}

/** The value of an env entry's `valueFrom`. */
async function valueFrom(
  state: KubeletState,
  record: PodRecord,
  source: EnvVarSource,
): Promise<string | undefined> {
  if (source.fieldRef)
    return fieldRefValue(record.pod, source.fieldRef.fieldPath, {
      podIP: record.sandbox.ip,
      hostIP: HOST_ADDRESS,
    });
  if (source.secretKeyRef) return keyRefValue(state, record.namespace, 'Secret', source.secretKeyRef);
  if (source.configMapKeyRef)
    return keyRefValue(state, record.namespace, 'ConfigMap', source.configMapKeyRef);
  // resourceFieldRef: no limits are enforced here, so there is no number to give.
  return '0';
}

/** The node's address, as `status.hostIP` shows it. */
const HOST_ADDRESS = '127.0.0.1';

/** `envFrom` entries into `env`. */
async function addEnvFrom(
  state: KubeletState,
  record: PodRecord,
  container: PodContainer,
  env: Map<string, string>,
) {
  for (const source of container.envFrom ?? []) {
    const ref = source.secretRef ?? source.configMapRef;
    if (!ref) continue;
    const kind = source.secretRef ? 'Secret' : 'ConfigMap';
    const values = await readDataObject(state, kind, record.namespace, ref.name);
    if (!values) {
      if (ref.optional) continue;
      throw new ChaosplaneError('invalid', `${kind.toLowerCase()} "${ref.name}" not found`);
    }
    for (const [key, value] of values) env.set(`${source.prefix ?? ''}${key}`, value.toString('utf8'));
  }
}

/** The container's environment, in order, as `NAME=value` entries (and as a map for `$(VAR)`). */
export async function containerEnv(
  state: KubeletState,
  record: PodRecord,
  container: PodContainer,
  imageEnv: readonly string[],
): Promise<Map<string, string>> {
  const env = new Map<string, string>();
  for (const entry of imageEnv) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [name, value] of serviceEnv(state)) env.set(name, value);
  env.set('HOSTNAME', record.name);
  await addEnvFrom(state, record, container, env);
  for (const entry of container.env ?? []) {
    if (entry.valueFrom) {
      const value = await valueFrom(state, record, entry.valueFrom);
      if (value !== undefined) env.set(entry.name, value);
    } else {
      env.set(
        entry.name,
        expandVars(entry.value ?? '', name => env.get(name)),
      );
    }
  }
  return env;
}
