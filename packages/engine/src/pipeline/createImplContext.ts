// SPDX-License-Identifier: Apache-2.0
// Builds what `apply` and `recover` receive for one record: the target read back through its
// selector kind, a daemon client bound to the target's node and the chaos object, Events, a
// record-scoped logger and the signal.
import {
  ChaosplaneError,
  type ChaosKind,
  type ChaosObject,
  type ContainerRecord,
  type DaemonClient,
  type DaemonServiceDefinition,
  type ImplContext,
  type KubeClient,
  type Logger,
  type Target,
} from '@chaosplane/sdk';
import type { DaemonConnector, SelectorRegistry } from '@chaosplane/sdk/framework';
import type { EventRecorder } from '../events/createEventRecorder.js';
import { expiryOf } from '../steps/desiredPhase.js';

/** What implementations reach through their context. */
export interface ImplServices {
  /** The operator's connection to the API server. */
  kube: KubeClient;
  /** Daemon clients; `ctx.daemon` fails clearly without them. */
  daemons?: DaemonConnector;
}

/** What {@link createImplContext} needs about the pass. */
export interface ImplContextDeps {
  kind: ChaosKind;
  selectors: SelectorRegistry;
  services: ImplServices;
  events: EventRecorder;
  signal: AbortSignal;
}

function noDaemons(): never {
  throw new ChaosplaneError(
    'daemon',
    'this operator has no daemon connection configured (ctx.daemon is unavailable)',
  );
}

/** The record's target as selected, before it is read back. */
export function selectedTarget(deps: ImplContextDeps, obj: ChaosObject, record: ContainerRecord): Target {
  const kind = deps.kind.selectors(obj as never)[record.selectorKey]?.kind ?? '';
  return {
    kind,
    id: record.id,
    ...(record.instanceId !== undefined ? { instanceId: record.instanceId } : {}),
  };
}

/**
 * Reads the record's target back through its selector kind. Rejects with `not-found` when the
 * target is gone (the engine then counts the record as recovered).
 */
export async function resolveTarget(
  deps: ImplContextDeps,
  obj: ChaosObject,
  record: ContainerRecord,
): Promise<Target> {
  const ref = deps.kind.selectors(obj as never)[record.selectorKey];
  if (ref === undefined) {
    throw new ChaosplaneError(
      'invalid',
      `record ${record.id} names selector "${record.selectorKey}", which the spec no longer has`,
      { field: 'status.experiment.containerRecords[].selectorKey' },
    );
  }
  return deps.selectors.resolve(
    ref.kind,
    { id: record.id, ...(record.instanceId !== undefined ? { instanceId: record.instanceId } : {}) },
    deps.signal,
  );
}

/** `ctx.targetsOf` of one pass: each selector key's targets read back once, gone ones left out. */
export type PeerTargets = (selectorKey: string) => Promise<Target[]>;

/** How many targets of another selector are read back at once. */
const PEER_READS = 8;

/** Creates the {@link PeerTargets} of a pass over `obj`'s records. */
export function createPeerTargets(deps: ImplContextDeps, obj: ChaosObject): PeerTargets {
  const memo = new Map<string, Promise<Target[]>>();
  const readAll = async (selectorKey: string): Promise<Target[]> => {
    const records = (obj.status?.experiment?.containerRecords ?? []).filter(
      r => r.selectorKey === selectorKey,
    );
    const found: Target[] = [];
    let next = 0;
    const reader = async () => {
      while (next < records.length) {
        const record = records[next++]!;
        try {
          found.push(await resolveTarget(deps, obj, record));
        } catch (error) {
          if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PEER_READS, records.length) }, reader));
    return found;
  };
  return selectorKey => {
    let targets = memo.get(selectorKey);
    if (!targets) {
      targets = readAll(selectorKey);
      // A failed read is not kept: the next call tries again.
      targets.catch(() => memo.delete(selectorKey));
      memo.set(selectorKey, targets);
    }
    return targets;
  };
}

/**
 * The record as its daemon calls name it: its id, then `:` and its selector key (without the
 * dot) for a selector other than the default `.`. A pod can be both a source and a target of one
 * experiment (a NetworkChaos partition whose two `mode: one` picks are the same pod): each record
 * keeps its own changes on the daemon, which keys them by this name.
 */
function daemonRecordName(record: Pick<ContainerRecord, 'id' | 'selectorKey'>): string {
  return record.selectorKey === '.' ? record.id : `${record.id}:${record.selectorKey.slice(1)}`;
}

/** The context of one call on `record` of `obj` about `target`, `phase` being what the plugin sees. */
export function createImplContext(
  deps: ImplContextDeps & { peers: PeerTargets; onDaemon?: () => void },
  obj: ChaosObject,
  record: ContainerRecord,
  target: Target,
  phase: string,
  log: Logger,
): ImplContext {
  const deadlineMs = deps.kind.isOneShot(obj as never) ? undefined : expiryOf(deps.kind, obj);
  const chaos = {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
  const daemons = deps.services.daemons;
  return {
    obj,
    record: { ...record, phase },
    target,
    targetsOf: selectorKey => deps.peers(selectorKey),
    daemon: <D extends DaemonServiceDefinition>(definition: D): DaemonClient<D> => {
      if (daemons === undefined) return noDaemons();
      // The engine notes which records' faults live on a daemon (re-applied if it is replaced).
      deps.onDaemon?.();
      return daemons.client(definition, {
        target,
        chaos,
        record: daemonRecordName(record),
        signal: deps.signal,
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      });
    },
    kube: deps.services.kube,
    // What a plugin learns (a daemon's output, say) goes on the object as Events, through the
    // same rate-limited, aggregating recorder as the engine's own.
    events: {
      normal: (reason, message) => deps.events.emit(obj, 'Normal', reason, message),
      warning: (reason, message) => deps.events.emit(obj, 'Warning', reason, message),
    },
    log,
    signal: deps.signal,
  };
}
