// SPDX-License-Identifier: Apache-2.0
// An in-memory ChaosApi with the API server semantics the engine relies on: increasing
// resourceVersions, 409 on a stale write, status only through updateStatus, deletion held by
// finalizers, and a watch stream. For unit tests only; the emulator-backed tests use HTTPS.
import { randomUUID } from 'node:crypto';
import { ChaosplaneError, type ChaosObject } from '@chaosplane/sdk';
import { kubeApiError, type WatchEvent } from '@chaosplane/kube';
import { type ChaosApi } from '../../../src/kube/ChaosApi.js';

type Listener = (event: WatchEvent<ChaosObject>) => void;

export interface FakeChaosApi extends ChaosApi {
  create(
    obj: Omit<ChaosObject, 'metadata'> & {
      metadata: {
        name: string;
        namespace: string;
        annotations?: Record<string, string>;
        finalizers?: string[];
      };
    },
  ): ChaosObject;
  remove(namespace: string, name: string): void;
  read(namespace: string, name: string): ChaosObject | undefined;
  annotate(namespace: string, name: string, annotations: Record<string, string>): void;
  /** Answers the next `n` writes with 409. */
  failNextWrites(n: number): void;
  writes: number;
}

const clone = <T>(value: T): T => structuredClone(value);

export function createFakeChaosApi(): FakeChaosApi {
  const objects = new Map<string, ChaosObject>();
  const listeners = new Set<Listener>();
  let rv = 1;
  let conflicts = 0;
  const key = (ns: string | undefined, name: string | undefined) => `${ns}/${name}`;
  const history: WatchEvent<ChaosObject>[] = [];
  const emit = (type: WatchEvent['type'], obj: ChaosObject) => {
    const event = { type, object: clone(obj) } as WatchEvent<ChaosObject>;
    history.push(event);
    for (const listener of listeners) listener(clone(event));
  };
  const store = (obj: ChaosObject, type: 'ADDED' | 'MODIFIED') => {
    rv += 1;
    obj.metadata.resourceVersion = String(rv);
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
      objects.delete(key(obj.metadata.namespace, obj.metadata.name));
      emit('DELETED', obj);
      return clone(obj);
    }
    objects.set(key(obj.metadata.namespace, obj.metadata.name), obj);
    emit(type, obj);
    return clone(obj);
  };
  const current = (obj: ChaosObject) => {
    const existing = objects.get(key(obj.metadata.namespace, obj.metadata.name));
    if (!existing) throw kubeApiError('PUT', obj.metadata.name ?? '', 404, {});
    if (conflicts > 0 || existing.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      if (conflicts > 0) conflicts -= 1;
      throw kubeApiError('PUT', obj.metadata.name ?? '', 409, { reason: 'Conflict' });
    }
    return existing;
  };
  const api: FakeChaosApi = {
    writes: 0,
    list() {
      return Promise.resolve({ items: [...objects.values()].map(clone), resourceVersion: String(rv) });
    },
    watch(fromRv, onEvent, signal) {
      return new Promise<void>((_resolve, reject) => {
        // Replay what happened after `fromRv`, as an API server does.
        for (const event of history)
          if (Number(event.object.metadata.resourceVersion) > Number(fromRv)) onEvent(clone(event));
        listeners.add(onEvent);
        signal.addEventListener('abort', () => {
          listeners.delete(onEvent);
          reject(new ChaosplaneError('aborted', 'watch aborted'));
        });
      });
    },
    get(namespace, name) {
      const obj = objects.get(key(namespace, name));
      return Promise.resolve(obj ? clone(obj) : undefined);
    },
    async update(obj) {
      await Promise.resolve();
      api.writes += 1;
      const existing = current(obj);
      return store(
        { ...clone(existing), metadata: { ...clone(obj.metadata) }, spec: clone(obj.spec) },
        'MODIFIED',
      );
    },
    async updateStatus(obj) {
      await Promise.resolve();
      api.writes += 1;
      const existing = current(obj);
      return store({ ...clone(existing), status: clone(obj.status) as never }, 'MODIFIED');
    },
    create(input) {
      const obj = {
        ...clone(input),
        metadata: {
          ...clone(input.metadata),
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
        },
      } as ChaosObject;
      return store(obj, 'ADDED');
    },
    remove(namespace, name) {
      const obj = objects.get(key(namespace, name));
      if (!obj) return;
      obj.metadata.deletionTimestamp = new Date().toISOString();
      store(obj, 'MODIFIED');
    },
    read(namespace, name) {
      const obj = objects.get(key(namespace, name));
      return obj ? clone(obj) : undefined;
    },
    annotate(namespace, name, annotations) {
      const obj = objects.get(key(namespace, name))!;
      obj.metadata.annotations = { ...obj.metadata.annotations, ...annotations };
      store(obj, 'MODIFIED');
    },
    failNextWrites(n) {
      conflicts = n;
    },
  };
  return api;
}
