// SPDX-License-Identifier: Apache-2.0
// What the NetworkChaos schema cannot say: Chaos Mesh's webhook checks (percentages as floats,
// rates with a unit, `from`/`both` only with a target for traffic control), with its messages;
// and beyond it, what Chaos Mesh only finds at apply time or silently ignores: an action without
// its parameter block, a block the action would ignore, a percentage outside 0–100, a malformed
// external target or device name, the unsupported `remoteCluster`.
import type { SpecRule, Violation } from '@chaosplane/sdk';
import { parseExternalTarget } from './externalTargets.js';
import type { NetworkChaosAction, NetworkChaosSpec } from './kind.js';
import { parseRate } from './rate.js';

type Spec = NetworkChaosSpec;

const NETEM_BLOCKS = ['delay', 'loss', 'duplicate', 'corrupt', 'rate'] as const;
const ALL_BLOCKS = [...NETEM_BLOCKS, 'bandwidth'] as const;
type Block = (typeof ALL_BLOCKS)[number];

/** The parameter blocks each action reads; any other block is refused. */
function blocksOf(action: NetworkChaosAction): readonly Block[] {
  if (action === 'partition') return [];
  if (action === 'bandwidth') return ['bandwidth'];
  return NETEM_BLOCKS;
}

/** A Go float (strconv.ParseFloat): decimal with an optional exponent, or inf/nan. */
const GO_FLOAT = /^[+-]?((\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?|inf(inity)?|nan)$/i;

/** A Chaos Mesh FloatStr percentage: its parse message, then (beyond Chaos Mesh) the range. */
function percentViolations(value: string | undefined, field: string): Violation[] {
  if (value === undefined) return [];
  if (!GO_FLOAT.test(value)) {
    // Chaos Mesh reports every FloatStr field with this one text.
    return [
      {
        field,
        message: `parse correlation field error:strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`,
      },
    ];
  }
  const number = Number(value.replaceAll('_', ''));
  if (!(number >= 0 && number <= 100))
    return [{ field, message: `${JSON.stringify(value)} must be a percentage from 0 to 100` }];
  return [];
}

/** Every percentage field of the spec, with its path. */
function percentFields(spec: Spec, path: string): [string | undefined, string][] {
  const { delay, loss, duplicate, corrupt } = spec;
  const reorder = delay?.reorder;
  return [
    [delay?.correlation, `${path}.delay.correlation`],
    [reorder?.reorder, `${path}.delay.reorder.reorder`],
    [reorder?.correlation, `${path}.delay.reorder.correlation`],
    [loss?.loss, `${path}.loss.loss`],
    [loss?.correlation, `${path}.loss.correlation`],
    [duplicate?.duplicate, `${path}.duplicate.duplicate`],
    [duplicate?.correlation, `${path}.duplicate.correlation`],
    [corrupt?.corrupt, `${path}.corrupt.corrupt`],
    [corrupt?.correlation, `${path}.corrupt.correlation`],
  ];
}

function ratesAndPercents(spec: Spec, path: string): Violation[] {
  const out = percentFields(spec, path).flatMap(([value, field]) => percentViolations(value, field));
  const rates: [string | undefined, string][] = [
    [spec.bandwidth?.rate, `${path}.bandwidth.rate`],
    [spec.rate?.rate, `${path}.rate.rate`],
  ];
  for (const [value, field] of rates) {
    const parsed = value === undefined ? undefined : parseRate(value);
    if (typeof parsed === 'string') out.push({ field, message: parsed });
  }
  return out;
}

/** The action's own block is required; blocks it would ignore are refused. */
function actionBlocks(spec: Spec, path: string): Violation[] {
  const wanted = blocksOf(spec.action);
  const out: Violation[] = ALL_BLOCKS.filter(b => spec[b] !== undefined && !wanted.includes(b)).map(b => ({
    field: `${path}.${b}`,
    message: `action ${spec.action} does not use ${b}: remove it`,
  }));
  if (spec.action === 'bandwidth' && spec.bandwidth === undefined)
    out.push({ field: `${path}.bandwidth`, message: 'Required value: action bandwidth needs bandwidth' });
  else if (spec.action !== 'netem' && spec.action !== 'partition' && spec.action !== 'bandwidth') {
    if (spec[spec.action] === undefined)
      out.push({
        field: `${path}.${spec.action}`,
        message: `Required value: action ${spec.action} needs ${spec.action}`,
      });
  } else if (spec.action === 'netem' && !NETEM_BLOCKS.some(b => spec[b] !== undefined)) {
    out.push({
      field: `${path}.action`,
      message: 'invalid spec for netem action, at least one is required from delay, loss, duplicate, corrupt',
    });
  }
  return out;
}

/** Chaos Mesh's direction check for traffic control (netem family and bandwidth). */
function directionForTrafficControl(spec: Spec, path: string): Violation[] {
  const direction = spec.direction ?? 'to';
  if (spec.action === 'partition' || direction === 'to') return [];
  const field = `${path}.direction`;
  if (spec.externalTargets !== undefined)
    return [
      {
        field,
        message: 'external targets cannot be used with `from` and `both` direction in netem action yet',
      },
    ];
  if (spec.target === undefined)
    return [
      { field, message: '`from` and `both` direction cannot be used when targets is empty in netem action' },
    ];
  return [];
}

const DEVICE = /^[^\s/:]{1,15}$/;

function namesAndTargets(spec: Spec, path: string): Violation[] {
  const out: Violation[] = [];
  (spec.externalTargets ?? []).forEach((text, i) => {
    const parsed = parseExternalTarget(text);
    if (typeof parsed === 'string') out.push({ field: `${path}.externalTargets[${i}]`, message: parsed });
  });
  // Chaos Mesh keeps what comes before an `@` (eth0@if12 is eth0 in `ip link`).
  const device = spec.device?.split('@')[0];
  if (
    spec.device !== undefined &&
    (device === undefined || !DEVICE.test(device) || device === '.' || device === '..')
  )
    out.push({
      field: `${path}.device`,
      message: `${JSON.stringify(spec.device)} is not a network interface name`,
    });
  if (spec.targetDevice !== undefined) {
    if (!DEVICE.test(spec.targetDevice) || spec.targetDevice === '.' || spec.targetDevice === '..')
      out.push({
        field: `${path}.targetDevice`,
        message: `${JSON.stringify(spec.targetDevice)} is not a network interface name`,
      });
    else if (spec.target === undefined)
      out.push({
        field: `${path}.targetDevice`,
        message: 'targetDevice is used only with target: remove it',
      });
  }
  if (spec.remoteCluster !== undefined && spec.remoteCluster !== '')
    out.push({
      field: `${path}.remoteCluster`,
      message: 'remote clusters are not supported by Chaosplane: remove it',
    });
  return out;
}

/** Every semantic rule of NetworkChaos. */
export const networkChaosRules: SpecRule<Spec>[] = [
  ratesAndPercents,
  actionBlocks,
  directionForTrafficControl,
  namesAndTargets,
];
