// SPDX-License-Identifier: Apache-2.0
// Brings a network namespace to a NetworkState: ipsets first (filled aside and swapped in, so a
// rule never sees a half-filled set), then the iptables chains (each rewritten whole by one
// iptables-restore, atomically), then tc per device, then the sets nothing uses any more. With an
// empty state everything Chaosplane made is removed: jumps, chains, sets and its root qdiscs,
// leaving the namespace as it was. A root qdisc Chaosplane did not make is never replaced.
import type { ScopeRun } from '@chaosplane/daemon/plugin';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  FILTER_INPUT,
  FILTER_OUTPUT,
  HANDLE_BASE,
  MANGLE_CHAIN,
  SET_PREFIX,
  type IpSet,
  type NetworkState,
} from './networkState.js';

/** Runs one command as root in the namespace (argv only): the daemon's {@link ScopeRun}. */
export type NamespaceShell = ScopeRun;

/** The iptables chains Chaosplane owns and the built-in chain each is reached from. */
const CHAINS = [
  { table: 'filter', chain: FILTER_INPUT, from: 'INPUT' },
  { table: 'filter', chain: FILTER_OUTPUT, from: 'OUTPUT' },
  { table: 'mangle', chain: MANGLE_CHAIN, from: 'POSTROUTING' },
] as const;

/** Creates or refills each set: a temporary copy is filled, then swapped with the live one. */
async function renderSets(sets: IpSet[], run: NamespaceShell): Promise<void> {
  if (sets.length === 0) return;
  const lines: string[] = [];
  for (const set of sets) {
    const temp = `${set.name}.t`;
    lines.push(`create ${set.name} ${set.type} -exist`, `create ${temp} ${set.type} -exist`, `flush ${temp}`);
    for (const member of set.members) lines.push(`add ${temp} ${member} -exist`);
    lines.push(`swap ${temp} ${set.name}`, `destroy ${temp}`);
  }
  await run(['ipset', 'restore'], { stdin: `${lines.join('\n')}\n` });
}

/** Destroys the Chaosplane sets no rule uses any more. */
async function removeStaleSets(keep: IpSet[], run: NamespaceShell): Promise<void> {
  const listed = await run(['ipset', 'list', '-n'], { allowFailure: true });
  if (listed.exitCode !== 0) return; // no ipset here: nothing was ever made with it
  const wanted = new Set(keep.map(s => s.name));
  for (const name of listed.stdout.split('\n').map(l => l.trim()))
    if (name.startsWith(SET_PREFIX) && !wanted.has(name)) await run(['ipset', 'destroy', name]);
}

/** True when `table` holds `chain`. */
async function chainExists(table: string, chain: string, run: NamespaceShell): Promise<boolean> {
  return (
    (await run(['iptables', '-w', '5', '-t', table, '-S', chain], { allowFailure: true })).exitCode === 0
  );
}

/** Rewrites a chain's rules in one transaction and makes sure its built-in chain jumps to it once. */
async function renderChain(table: string, chain: string, from: string, rules: string[], run: NamespaceShell) {
  const restore = [`*${table}`, `:${chain} - [0:0]`, ...rules, 'COMMIT', ''].join('\n');
  await run(['iptables-restore', '-w', '5', '--noflush'], { stdin: restore });
  const present = await run(['iptables', '-w', '5', '-t', table, '-C', from, '-j', chain], {
    allowFailure: true,
  });
  if (present.exitCode !== 0) await run(['iptables', '-w', '5', '-t', table, '-I', from, '1', '-j', chain]);
}

/** Removes a chain and every jump to it. */
async function removeChain(table: string, chain: string, from: string, run: NamespaceShell) {
  if (!(await chainExists(table, chain, run))) return;
  // Delete every copy of the jump (one normally; more if someone added it again).
  for (;;) {
    const deleted = await run(['iptables', '-w', '5', '-t', table, '-D', from, '-j', chain], {
      allowFailure: true,
    });
    if (deleted.exitCode !== 0) break;
  }
  await run(['iptables', '-w', '5', '-t', table, '-F', chain]);
  await run(['iptables', '-w', '5', '-t', table, '-X', chain]);
}

/** The handle of a device's root qdisc, as `tc qdisc show` prints it (`0:` for the kernel's default). */
async function rootHandle(
  device: string,
  run: NamespaceShell,
): Promise<{ kind: string; handle: string } | undefined> {
  const shown = await run(['tc', 'qdisc', 'show', 'dev', device, 'root'], { allowFailure: true });
  if (shown.exitCode !== 0) return undefined;
  const match = /^qdisc (\S+) ([0-9a-f]+:)/m.exec(shown.stdout);
  return match ? { kind: match[1]!, handle: match[2]! } : undefined;
}

const isOurs = (handle: string) => {
  const major = parseInt(handle, 16);
  return major >= HANDLE_BASE && major <= HANDLE_BASE + 0xff;
};

/** The network interfaces of the namespace. */
async function devices(run: NamespaceShell): Promise<string[]> {
  const listed = await run(['ip', '-o', 'link', 'show']);
  return [...listed.stdout.matchAll(/^\d+: ([^:@\s]+)[@:]/gm)].map(m => m[1]!);
}

/** A device's root qdisc as found before a render, and whether Chaosplane made it. */
interface DeviceRoot {
  device: string;
  ours: boolean;
}

/**
 * Reads the root qdisc of every device, before anything changes: a device the state names must
 * exist, and its root qdisc must be the kernel's default or Chaosplane's own.
 */
async function inspectDevices(state: NetworkState, run: NamespaceShell): Promise<DeviceRoot[]> {
  const wanted = new Set(state.tc.map(t => t.device));
  const present = await devices(run);
  for (const device of wanted)
    if (!present.includes(device))
      throw new ChaosplaneError('not-found', `the pod has no network interface ${device}`, {
        field: 'spec.device',
      });
  const roots: DeviceRoot[] = [];
  for (const device of present) {
    const root = await rootHandle(device, run);
    const ours = root !== undefined && isOurs(root.handle);
    if (wanted.has(device) && root !== undefined && !ours && root.handle !== '0:') {
      throw new ChaosplaneError(
        'conflict',
        `${device} has a root qdisc ${root.kind} ${root.handle} that Chaosplane did not install; it is left alone and the fault is not applied`,
        { field: 'spec.device' },
      );
    }
    roots.push({ device, ours });
  }
  return roots;
}

/** Puts each device's qdiscs in place; removes Chaosplane's root qdisc from devices that need none. */
async function renderTc(state: NetworkState, roots: DeviceRoot[], run: NamespaceShell): Promise<void> {
  const wanted = new Map(state.tc.map(t => [t.device, t.commands]));
  for (const { device, ours } of roots) {
    if (ours) await run(['tc', 'qdisc', 'del', 'dev', device, 'root']);
    for (const command of wanted.get(device) ?? []) await run(['tc', ...command]);
  }
}

/**
 * Brings the namespace to `state`. With an empty state it removes everything Chaosplane made.
 * @throws ChaosplaneError when a command fails (kind `command`) or a root qdisc is someone else's (`conflict`)
 */
export async function renderNetworkState(state: NetworkState, run: NamespaceShell): Promise<void> {
  const roots = await inspectDevices(state, run);
  await renderSets(state.sets, run);
  const rules: Record<string, string[]> = {
    [FILTER_INPUT]: state.filter.input,
    [FILTER_OUTPUT]: state.filter.output,
    [MANGLE_CHAIN]: state.mangle,
  };
  for (const { table, chain, from } of CHAINS) {
    const chainRules = rules[chain]!;
    if (chainRules.length > 0) await renderChain(table, chain, from, chainRules, run);
    else await removeChain(table, chain, from, run);
  }
  await renderTc(state, roots, run);
  await removeStaleSets(state.sets, run);
}
