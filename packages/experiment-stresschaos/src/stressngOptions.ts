// SPDX-License-Identifier: Apache-2.0
// The stress-ng arguments a StressChaos may pass (`options` of each stressor, `stressngStressors`).
// Chaos Mesh appends them verbatim, split on whitespace, to a stress-ng it runs as root in the
// host's file system: `--log-file /etc/…` or `--job` would reach the node. Here they are split the
// same way (argv, never a shell), and only stress-ng's options that load CPU, memory and I/O are
// admitted: the stressor classes below with their own `--<class>-…` options, and a few general
// ones. Anything else is refused, naming it.

/** Stressor classes whose options are admitted: load that stays in the container's cgroups. */
export const STRESSOR_CLASSES = [
  'cpu',
  'vm',
  'malloc',
  'bigheap',
  'brk',
  'mmap',
  'stack',
  'matrix',
  'memcpy',
  'cache',
  'hdd',
  'io',
  'fork',
  'pipe',
  'switch',
] as const;

/** General options admitted (each takes the value shown, or none). */
const GENERAL_OPTIONS: Record<string, 'value' | 'flag'> = {
  '--timeout': 'value',
  '--metrics': 'flag',
  '--metrics-brief': 'flag',
  '--times': 'flag',
  '--quiet': 'flag',
  '--verbose': 'flag',
  '--aggressive': 'flag',
  '--maximize': 'flag',
  '--minimize': 'flag',
  '--page-in': 'flag',
  '--oom-avoid': 'flag',
  '--oom-avoid-bytes': 'value',
  '--backoff': 'value',
  '--keep-name': 'flag',
  '--no-rand-seed': 'flag',
  '--seed': 'value',
};

/** stress-ng's one-letter options admitted, by their long name. */
const SHORT_OPTIONS: Record<string, string> = {
  '-c': '--cpu',
  '-l': '--cpu-load',
  '-m': '--vm',
  '-d': '--hdd',
  '-i': '--io',
  '-B': '--bigheap',
  '-C': '--cache',
  '-f': '--fork',
  '-p': '--pipe',
  '-s': '--switch',
  '-t': '--timeout',
  '-q': '--quiet',
  '-v': '--verbose',
  '-M': '--metrics',
};

/** One option of an argument list: its long name and where it was. */
export interface StressngOption {
  /** The long name (`--cpu`), short options translated. */
  name: string;
  /** Index of its token in the split arguments. */
  index: number;
  /** True when it starts workers of a stressor class (`--cpu 2`). */
  startsStressor: boolean;
}

/** The checked arguments, or the first reason to refuse them. */
export type OptionsCheck =
  { ok: true; argv: string[]; options: StressngOption[] } | { ok: false; message: string };

/** Splits option strings on whitespace, as Chaos Mesh does (`"--cpu 2"` is two arguments). */
export function splitOptions(options: readonly string[]): string[] {
  return options.flatMap(option => option.split(/\s+/).filter(token => token !== ''));
}

/** The class an option belongs to (`--vm-bytes` → `vm`), or undefined. */
function classOf(name: string): (typeof STRESSOR_CLASSES)[number] | undefined {
  return STRESSOR_CLASSES.find(c => name === `--${c}` || name.startsWith(`--${c}-`));
}

const refuse = (message: string): OptionsCheck => ({ ok: false, message });

/** The long name of an option token (`--cpu=2` → `--cpu`, `-c` → `--cpu`), or undefined when it is no option. */
function optionName(token: string): string | undefined {
  if (token.startsWith('--')) return token.split('=', 1)[0];
  if (token.startsWith('-') && token.length > 1) return SHORT_OPTIONS[token] ?? token;
  return undefined;
}

/**
 * Checks stress-ng arguments (already split): every option admitted, every value after an option.
 * `refused` names options that are admitted elsewhere but not here, each with its reason.
 */
export function checkStressngArgs(
  argv: readonly string[],
  refused: Record<string, string> = {},
): OptionsCheck {
  const options: StressngOption[] = [];
  let valueAllowed = false;
  for (const [index, token] of argv.entries()) {
    const name = optionName(token);
    if (name === undefined) {
      if (!valueAllowed)
        return refuse(`${JSON.stringify(token)} is not a stress-ng option, nor the value of one`);
      valueAllowed = false;
      continue;
    }
    const reason = refused[name];
    if (reason !== undefined) return refuse(`stress-ng option ${name} ${reason}`);
    const stressorClass = classOf(name);
    if (stressorClass === undefined && GENERAL_OPTIONS[name] === undefined)
      return refuse(
        `stress-ng option ${JSON.stringify(token)} is not admitted: StressChaos passes the options of the ` +
          `${STRESSOR_CLASSES.join(', ')} stressors and ${Object.keys(GENERAL_OPTIONS).join(', ')}; ` +
          'options that name files or change scheduling beyond the container are refused',
      );
    options.push({
      name,
      index,
      startsStressor: stressorClass !== undefined && name === `--${stressorClass}`,
    });
    valueAllowed = !token.includes('=') && GENERAL_OPTIONS[name] !== 'flag';
  }
  return { ok: true, argv: [...argv], options };
}
