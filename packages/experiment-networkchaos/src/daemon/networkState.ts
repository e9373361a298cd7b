// SPDX-License-Identifier: Apache-2.0
// The whole Chaosplane state of one network namespace, computed from its live faults: the ipsets
// (one per peer list), the iptables rules (filter: partition drops; mangle: CLASSIFY marks that
// steer packets to a tc class without tc classifiers), and the tc qdiscs per device. Pure, so the
// daemon can render it after any change and a test can read it.
import { createHash } from 'node:crypto';
import { ChaosplaneError } from '@chaosplane/sdk';
import type {
  Destination,
  Netem,
  NetworkFault,
  Tbf,
  TrafficControl,
} from '../gen/chaosplane/networkchaos/v1/networkchaos.js';

/** A live fault and who put it there. */
export interface LiveFault {
  /** The daemon's key of the contribution: stable for the record. */
  key: string;
  /** The chaos object, to name it when two faults cannot compose. */
  chaos: { namespace: string; name: string };
  fault: NetworkFault;
}

/** An ipset to hold while the state lasts. */
export interface IpSet {
  name: string;
  type: 'hash:net' | 'hash:net,port';
  members: string[];
}

/** One qdisc to add: tc's argv after `tc qdisc add dev <device>`. */
export type QdiscArgs = string[];

/** The tc layout of one device. */
export interface DeviceTc {
  device: string;
  /** `tc` argument lists, in order (qdisc and class additions). */
  commands: string[][];
}

/** Everything Chaosplane holds in a namespace. */
export interface NetworkState {
  sets: IpSet[];
  /** Rules of the filter chains CHAOSPLANE-INPUT and CHAOSPLANE-OUTPUT (iptables-restore lines). */
  filter: { input: string[]; output: string[] };
  /** Rules of the mangle chain CHAOSPLANE-TC (iptables-restore lines). */
  mangle: string[];
  tc: DeviceTc[];
}

/** Names every Chaosplane object in a namespace starts with, so a render finds what it made before. */
export const SET_PREFIX = 'cp-';
export const FILTER_INPUT = 'CHAOSPLANE-INPUT';
export const FILTER_OUTPUT = 'CHAOSPLANE-OUTPUT';
export const MANGLE_CHAIN = 'CHAOSPLANE-TC';
/** tc handles Chaosplane uses: majors 0xc000–0xc0ff, so its qdiscs are told from anyone else's. */
export const HANDLE_BASE = 0xc000;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

/** The sets holding `peers`, named after the fault and the rule (`cp-<hash>-n`, `-p` with ports). */
function setsFor(key: string, peers: Destination[]): { net?: IpSet; port?: IpSet } {
  const base = `${SET_PREFIX}${hash(key)}`;
  const plain = peers.filter(p => p.port === 0).map(p => p.cidr);
  const ported = peers.filter(p => p.port !== 0).map(p => `${p.cidr},${p.port}`);
  return {
    ...(plain.length > 0
      ? { net: { name: `${base}-n`, type: 'hash:net', members: [...new Set(plain)].sort() } }
      : {}),
    ...(ported.length > 0
      ? { port: { name: `${base}-p`, type: 'hash:net,port', members: [...new Set(ported)].sort() } }
      : {}),
  };
}

/**
 * The match parts of the rules for a peer list: one per set (peers without a port, peers with a
 * port), or one without a match for every packet. `side` is the packet field the peers are in.
 */
function matches(sets: { net?: IpSet; port?: IpSet }, all: boolean, side: 'src' | 'dst'): string[][] {
  if (all) return [[]];
  const out: string[][] = [];
  if (sets.net) out.push(['-m', 'set', '--match-set', sets.net.name, side]);
  // A port peer is the remote end: its address and its port are both on `side`.
  if (sets.port) out.push(['-m', 'set', '--match-set', sets.port.name, `${side},${side}`]);
  return out;
}

function fmtPercent(value: number): string {
  return `${Number(value.toFixed(6))}%`;
}

/** tc netem arguments, as Chaos Mesh composes them (a part only when it is set). */
export function netemArgs(netem: Netem): string[] {
  const args = ['netem'];
  if (netem.delayUs > 0) {
    args.push('delay', `${netem.delayUs}us`);
    if (netem.jitterUs > 0) args.push(`${netem.jitterUs}us`, fmtPercent(netem.delayCorrelation));
    if (netem.reorder > 0) {
      args.push('reorder', fmtPercent(netem.reorder), fmtPercent(netem.reorderCorrelation));
      if (netem.gap > 0) args.push('gap', String(netem.gap));
    }
  }
  if (netem.loss > 0) args.push('loss', fmtPercent(netem.loss), fmtPercent(netem.lossCorrelation));
  if (netem.duplicate > 0)
    args.push('duplicate', fmtPercent(netem.duplicate), fmtPercent(netem.duplicateCorrelation));
  if (netem.corrupt > 0)
    args.push('corrupt', fmtPercent(netem.corrupt), fmtPercent(netem.corruptCorrelation));
  if (netem.rate !== '') args.push('rate', netem.rate);
  return args;
}

/** tc tbf arguments (Chaos Mesh: rate, burst, limit, and peakrate with mtu only together). */
export function tbfArgs(tbf: Tbf): string[] {
  const args = ['tbf', 'rate', tbf.rate, 'burst', String(tbf.buffer), 'limit', String(tbf.limit)];
  if (tbf.peakrate > 0) args.push('peakrate', String(tbf.peakrate), 'mtu', String(tbf.minburst));
  return args;
}

/** The qdisc a traffic control asks for. */
export function qdiscArgs(tc: TrafficControl): string[] {
  if (tc.tbf) return tbfArgs(tc.tbf);
  if (tc.netem) return netemArgs(tc.netem);
  throw new ChaosplaneError('invalid', 'a traffic control needs netem or tbf', {
    field: 'fault.trafficControl',
  });
}

/** The kernel feature a traffic control needs. */
export function qdiscKind(tc: TrafficControl): 'netem' | 'tbf' {
  return tc.tbf ? 'tbf' : 'netem';
}

const handle = (n: number) => `${(HANDLE_BASE + n).toString(16)}:`;

/** The peers a traffic control shapes, for comparing groups: `*` for every packet. */
const peerKey = (tc: TrafficControl) =>
  tc.all ? '*' : [...new Set(tc.peers.map(p => `${p.cidr}:${p.port}`))].sort().join(' ');

/** True when a packet could match both peer lists (same address ranges; ports make no difference). */
function overlaps(a: TrafficControl, b: TrafficControl): string | undefined {
  if (a.all || b.all) return 'every packet';
  for (const p of a.peers)
    for (const q of b.peers)
      if (cidrsOverlap(p.cidr, q.cidr)) return p.cidr === q.cidr ? p.cidr : `${p.cidr} and ${q.cidr}`;
  return undefined;
}

function cidrRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/') as [string, string];
  const value = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return [value, value + size - 1];
}

function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

const nameOf = (f: LiveFault) => `NetworkChaos ${f.chaos.namespace}/${f.chaos.name}`;

/**
 * Groups a device's traffic controls: faults on the same peers are stacked (each qdisc the child
 * of the previous one, so all of them act on those packets), faults on disjoint peers get classes
 * of their own. Faults on peers that overlap but differ cannot both act on the shared packets: the
 * later one is refused, naming the other.
 */
function groupTrafficControls(device: string, faults: LiveFault[]): LiveFault[][] {
  const groups: LiveFault[][] = [];
  for (const f of faults) {
    const tc = f.fault.trafficControl!;
    const same = groups.find(g => peerKey(g[0]!.fault.trafficControl!) === peerKey(tc));
    if (same) {
      same.push(f);
      continue;
    }
    for (const g of groups) {
      const shared = overlaps(g[0]!.fault.trafficControl!, tc);
      if (shared !== undefined) {
        throw new ChaosplaneError(
          'conflict',
          `cannot compose with ${nameOf(g[0]!)} on ${device}: both shape ${shared === 'every packet' ? 'the same packets' : `traffic to ${shared}`} with different peers (tc can put a packet in one class only)`,
          { field: 'spec' },
        );
      }
    }
    groups.push([f]);
  }
  return groups;
}

/** `tc` commands that stack `faults`' qdiscs under `parent` (qdisc i+1 is the child of qdisc i). */
function stack(device: string, parent: string, faults: LiveFault[], next: () => number): string[][] {
  const commands: string[][] = [];
  let at = parent;
  for (const f of faults) {
    const h = handle(next());
    commands.push([
      'qdisc',
      'add',
      'dev',
      device,
      ...(at === 'root' ? ['root'] : ['parent', at]),
      'handle',
      h,
      ...qdiscArgs(f.fault.trafficControl!),
    ]);
    at = `${h}1`;
  }
  return commands;
}

/** The tc layout and mangle rules of one device. */
function deviceTc(
  device: string,
  faults: LiveFault[],
  sets: Map<string, { net?: IpSet; port?: IpSet }>,
): { tc: DeviceTc; mangle: string[] } {
  const groups = groupTrafficControls(device, faults);
  let n = 0;
  const next = () => n++;
  // Only faults on every packet: their qdiscs stacked at the root, no classification needed.
  if (groups.length === 1 && groups[0]![0]!.fault.trafficControl!.all)
    return { tc: { device, commands: stack(device, 'root', groups[0]!, next) }, mangle: [] };
  // Faults on peers: an htb root whose default sends unclassified packets straight out, one class
  // per group, and CLASSIFY rules that put a group's packets in its class.
  const root = handle(next());
  const commands: string[][] = [['qdisc', 'add', 'dev', device, 'root', 'handle', root, 'htb']];
  const mangle: string[] = [];
  groups.forEach((group, i) => {
    const classId = `${root}${(i + 1).toString(16)}`;
    commands.push([
      'class',
      'add',
      'dev',
      device,
      'parent',
      root,
      'classid',
      classId,
      'htb',
      'rate',
      '100gbit',
    ]);
    commands.push(...stack(device, classId, group, next));
    const groupSets = sets.get(group[0]!.key)!;
    for (const match of matches(groupSets, false, 'dst'))
      mangle.push(
        ['-A', MANGLE_CHAIN, '-o', device, ...match, '-j', 'CLASSIFY', '--set-class', classId].join(' '),
      );
  });
  return { tc: { device, commands }, mangle };
}

/**
 * The state for `faults`, in their order (the first applied first).
 * @throws ChaosplaneError of kind `conflict` when two traffic controls cannot both take effect
 */
export function networkState(faults: readonly LiveFault[]): NetworkState {
  const sets: IpSet[] = [];
  const setsByKey = new Map<string, { net?: IpSet; port?: IpSet }>();
  const filter = { input: [] as string[], output: [] as string[] };
  const tcByDevice = new Map<string, LiveFault[]>();
  for (const f of faults) {
    const { device, drops, trafficControl } = f.fault;
    drops.forEach((drop, i) => {
      const dropSets = drop.all ? {} : setsFor(`${f.key}/drop/${i}`, drop.peers);
      sets.push(...Object.values(dropSets));
      const input = drop.direction === 'input';
      for (const match of matches(dropSets, drop.all, input ? 'src' : 'dst'))
        (input ? filter.input : filter.output).push(
          [
            '-A',
            input ? FILTER_INPUT : FILTER_OUTPUT,
            input ? '-i' : '-o',
            device,
            ...match,
            '-j',
            'DROP',
          ].join(' '),
        );
    });
    if (trafficControl) {
      const tcSets = trafficControl.all ? {} : setsFor(`${f.key}/tc`, trafficControl.peers);
      sets.push(...Object.values(tcSets));
      setsByKey.set(f.key, tcSets);
      tcByDevice.set(device, [...(tcByDevice.get(device) ?? []), f]);
    }
  }
  const tc: DeviceTc[] = [];
  const mangle: string[] = [];
  for (const [device, deviceFaults] of tcByDevice) {
    const layout = deviceTc(device, deviceFaults, setsByKey);
    tc.push(layout.tc);
    mangle.push(...layout.mangle);
  }
  // A group shares its first fault's sets; the sets of its other faults hold the same peers.
  const used = new Set([...filter.input, ...filter.output, ...mangle].join(' ').split(' '));
  return { sets: sets.filter(s => used.has(s.name)), filter, mangle, tc };
}
