// SPDX-License-Identifier: Apache-2.0
// What one record of a NetworkChaos puts on its pod's network namespace, from Chaos Mesh's
// direction tables: partition drops at both ends (output to the peers on one side, input from
// them on the other), traffic control shapes only egress, at the sources for `to` and at the
// targets for `from`.
import { parseDuration } from '@chaosplane/sdk';
import type { Destination } from './externalTargets.js';
import type {
  Drop,
  Netem,
  NetworkFault,
  Tbf,
  TrafficControl,
} from './gen/chaosplane/networkchaos/v1/networkchaos.js';
import type { NetworkChaosSpec } from './kind.js';
import { parseRate } from './rate.js';

/** Which side of the experiment a record is: a selected pod, or a target pod. */
export type Side = 'source' | 'target';

/** What the plan of one record needs. */
export interface PlanInput {
  spec: NetworkChaosSpec;
  side: Side;
  /**
   * The other side's addresses: for a source, the target pods' IPs and the external targets; for
   * a target, the selected pods' IPs. Undefined when the other side is not selected at all (no
   * `target`, no `externalTargets`): the fault then covers every packet of its direction.
   */
  peers: Destination[] | undefined;
}

/** The device a side's rules go on: Chaos Mesh keeps what comes before an `@` (eth0@if12). */
export function deviceOf(spec: NetworkChaosSpec, side: Side): string {
  const device = side === 'source' ? spec.device?.split('@')[0] : spec.targetDevice;
  return device === undefined || device === '' ? 'eth0' : device;
}

function drop(direction: 'input' | 'output', peers: Destination[] | undefined): Drop {
  return {
    direction,
    peers: (peers ?? []).map(p => ({ cidr: p.cidr, port: p.port ?? 0 })),
    all: peers === undefined,
  };
}

/** The partition drops of a side (Chaos Mesh partition/impl.go). */
function partitionDrops(
  direction: 'to' | 'from' | 'both',
  side: Side,
  peers: Destination[] | undefined,
): Drop[] {
  // A source drops output to its peers for `to`; a target drops input from the sources.
  const toward = side === 'source' ? 'output' : 'input';
  const back = side === 'source' ? 'input' : 'output';
  const drops: Drop[] = [];
  if (direction !== 'from') drops.push(drop(toward, peers));
  if (direction !== 'to') drops.push(drop(back, peers));
  return drops;
}

/** A percentage string as a number (the rules checked it). */
const percent = (value: string | undefined) => (value === undefined ? 0 : Number(value.replaceAll('_', '')));
const micros = (duration: string | undefined) =>
  duration === undefined ? 0 : Math.round(parseDuration(duration) * 1000);

/** The delay part of a netem: latency, jitter and reordering. */
function netemDelay(
  delay: NetworkChaosSpec['delay'],
): Pick<Netem, 'delayUs' | 'jitterUs' | 'delayCorrelation' | 'reorder' | 'reorderCorrelation' | 'gap'> {
  const reorder = delay?.reorder;
  return {
    delayUs: micros(delay?.latency),
    jitterUs: micros(delay?.jitter),
    delayCorrelation: percent(delay?.correlation),
    reorder: percent(reorder?.reorder),
    reorderCorrelation: percent(reorder?.correlation),
    gap: reorder?.gap ?? 0,
  };
}

/** Every netem block of the spec in one netem, as Chaos Mesh merges them for the netem family. */
export function netemOf(spec: NetworkChaosSpec): Netem {
  const { loss, duplicate, corrupt, rate } = spec;
  const parsedRate = rate === undefined ? undefined : parseRate(rate.rate);
  return {
    ...netemDelay(spec.delay),
    loss: percent(loss?.loss),
    lossCorrelation: percent(loss?.correlation),
    duplicate: percent(duplicate?.duplicate),
    duplicateCorrelation: percent(duplicate?.correlation),
    corrupt: percent(corrupt?.corrupt),
    corruptCorrelation: percent(corrupt?.correlation),
    rate: typeof parsedRate === 'object' ? parsedRate.tc : '',
  };
}

/** The tbf of a bandwidth spec; peakrate and minburst only together, as Chaos Mesh. */
export function tbfOf(bandwidth: NonNullable<NetworkChaosSpec['bandwidth']>): Tbf {
  const rate = parseRate(bandwidth.rate);
  const peak = bandwidth.peakrate !== undefined && bandwidth.minburst !== undefined;
  return {
    rate: typeof rate === 'object' ? rate.tc : bandwidth.rate,
    buffer: bandwidth.buffer,
    limit: bandwidth.limit,
    peakrate: peak ? bandwidth.peakrate! : 0,
    minburst: peak ? bandwidth.minburst! : 0,
  };
}

/** The traffic control of a side, or undefined when this side shapes nothing (trafficcontrol/impl.go). */
function trafficControl(input: PlanInput): TrafficControl | undefined {
  const { spec, side, peers } = input;
  const direction = spec.direction ?? 'to';
  // Only egress is shaped: the sources' for `to`, the targets' for `from`.
  const shapes = side === 'source' ? direction !== 'from' : direction !== 'to';
  if (!shapes) return undefined;
  const qdisc: Pick<TrafficControl, 'netem' | 'tbf'> =
    spec.action === 'bandwidth'
      ? { tbf: tbfOf(spec.bandwidth!), netem: undefined }
      : { netem: netemOf(spec), tbf: undefined };
  return {
    ...qdisc,
    peers: (peers ?? []).map(p => ({ cidr: p.cidr, port: p.port ?? 0 })),
    all: peers === undefined,
  };
}

/** The fault one record puts on its pod, or undefined when this side of the experiment does nothing. */
export function planFault(input: PlanInput): NetworkFault | undefined {
  const device = deviceOf(input.spec, input.side);
  if (input.spec.action === 'partition') {
    return {
      device,
      drops: partitionDrops(input.spec.direction ?? 'to', input.side, input.peers),
      trafficControl: undefined,
    };
  }
  const tc = trafficControl(input);
  return tc === undefined ? undefined : { device, drops: [], trafficControl: tc };
}
