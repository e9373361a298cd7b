// SPDX-License-Identifier: Apache-2.0
// Reading a network namespace's whole packet-filter and traffic-control state, to compare it
// before and after an experiment.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { NamespaceShell } from '../../src/daemon/renderNetworkState.js';

const run = promisify(execFile);

/**
 * A {@link NamespaceShell} (what the daemon gives the renderer and the probe) running each command
 * in a named namespace (`ip netns exec`), or on the host when `ns` is undefined.
 */
export function shellIn(ns: string | undefined): NamespaceShell {
  return async (argv, options = {}) => {
    const [file, ...args] = ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv];
    const child = execFile(file!, args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // A command that reads no stdin may have exited before it is written (EPIPE): its exit
    // code says what happened.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.stdin ?? '');
    const exitCode = await new Promise<number>(resolve => child.on('close', code => resolve(code ?? 1)));
    if (exitCode !== 0 && !options.allowFailure) throw new Error(`${argv.join(' ')}: ${stderr}`);
    return { exitCode, signal: null, stdout, stderr, truncated: false };
  };
}

/** Why network namespaces cannot be tested here (root, ip, iptables, ipset, tc), or undefined. */
export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  for (const tool of ['ip', 'iptables', 'iptables-save', 'ipset', 'tc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (scripts/install-system-deps.sh installs it)`;
    }
  }
  return undefined;
}

/**
 * iptables-save without comments and counters, and without tables that hold nothing but empty
 * built-in chains accepting everything: iptables-nft creates a table the first time a rule is
 * added to it and leaves the empty table behind, which filters nothing.
 */
export function normaliseIptablesSave(text: string): string {
  const tables: string[] = [];
  for (const block of text.split(/^\*/m).slice(1)) {
    const lines = block
      .split('\n')
      .filter(line => line !== '' && !line.startsWith('#'))
      .map(line => line.replace(/ \[\d+:\d+\]$/, ''));
    const [name, ...body] = lines;
    const meaningful = body.filter(line => line !== 'COMMIT' && !/^:[A-Z]+ ACCEPT$/.test(line));
    if (meaningful.length > 0) tables.push([`*${name}`, ...body].join('\n'));
  }
  return tables.join('\n');
}

/**
 * The network namespace's iptables rules, ipsets and qdiscs, normalised: of a named namespace
 * (`ip netns`), or of a process's (`{ pid }`).
 */
export async function netnsSnapshot(ns: string | { pid: number }): Promise<string> {
  const prefix =
    typeof ns === 'string' ? ['ip', 'netns', 'exec', ns] : ['nsenter', '-t', String(ns.pid), '-n'];
  const inNs = (...argv: string[]) => run(prefix[0]!, [...prefix.slice(1), ...argv]).then(r => r.stdout);
  const iptables = normaliseIptablesSave(await inNs('iptables-save'));
  // A set's initval is its hash seed, drawn anew each time the set is created: the renderer
  // refills a set by swapping in a fresh copy, so an equal set can have another seed.
  const ipsets = (await inNs('ipset', 'list')).replace(/ initval 0x[0-9a-f]+/g, ' initval N');
  const links = [...(await inNs('ip', '-o', 'link', 'show')).matchAll(/^\d+: ([^:@\s]+)[@:]/gm)].map(
    m => m[1]!,
  );
  const qdiscs: string[] = [];
  // htb's direct_packets_stat counts packets, not configuration: a router solicitation sent
  // between two snapshots changed it in a CI run.
  for (const link of links)
    qdiscs.push(
      (await inNs('tc', 'qdisc', 'show', 'dev', link)).replace(
        /direct_packets_stat \d+/g,
        'direct_packets_stat N',
      ),
    );
  return [`# iptables\n${iptables}`, `# ipset\n${ipsets}`, `# tc\n${qdiscs.join('')}`].join('\n');
}

/**
 * What a NetworkChaos would touch in a namespace others share (the host's, where parallel tests
 * add and remove their own veths and NAT rules): Chaosplane's iptables chains and the rules
 * jumping to them, its ipsets (`cp-…`), and the qdiscs of the loopback, `eth0` (a fault's default
 * device) and the default route's device.
 */
export async function chaosplaneTraces(pid: number): Promise<string> {
  const inNs = (...argv: string[]) => run('nsenter', ['-t', String(pid), '-n', ...argv]).then(r => r.stdout);
  const rules = (await inNs('iptables-save'))
    .split('\n')
    .filter(line => line.includes('CHAOSPLANE'))
    .map(line => line.replace(/ \[\d+:\d+\]$/, ''));
  const sets = (await inNs('ipset', 'list', '-n')).split('\n').filter(name => name.startsWith('cp-'));
  const links = new Set(['lo']);
  if (/^\d+: eth0[@:]/m.test(await inNs('ip', '-o', 'link', 'show'))) links.add('eth0');
  const route = /\bdev (\S+)/.exec(await inNs('ip', '-o', 'route', 'show', 'default'));
  if (route) links.add(route[1]!);
  const qdiscs: string[] = [];
  for (const link of [...links].sort())
    qdiscs.push(
      (await inNs('tc', 'qdisc', 'show', 'dev', link)).replace(
        /direct_packets_stat \d+/g,
        'direct_packets_stat N',
      ),
    );
  return [`# iptables\n${rules.join('\n')}`, `# ipset\n${sets.join('\n')}`, `# tc\n${qdiscs.join('')}`].join(
    '\n',
  );
}
