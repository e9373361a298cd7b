// SPDX-License-Identifier: Apache-2.0
// StressChaos's rules as CEL, so a real API server refuses at `kubectl apply` what its rules
// (rules.ts, with Chaos Mesh's exact wording) refuse in the engine: stressors missing or given
// twice, workers ≤ 0, the memory size (required, its format, an amount above 0), remoteCluster.
// Rules on a field go on the field's schema (kind.ts); the cross-field ones are here, on the spec.
// The stress-ng option allowlist stays in the engine: each argument's meaning depends on the one
// before it (an option that takes a value consumes the next word), which CEL cannot fold over.
import { celString } from '@chaosplane/sdk';
import type { CelValidation } from '@chaosplane/sdk';
import {
  BOTH_STRESSOR_FORMS,
  MISSING_STRESSORS,
  REMOTE_CLUSTER_UNSUPPORTED,
  SIZE_REQUIRED,
  WORKERS_NOT_POSITIVE,
} from './rules.js';

/** The rule of `workers` on each stressor, with Chaos Mesh's own (never wired) message. */
export const workersRules: CelValidation[] = [{ rule: 'self > 0', message: WORKERS_NOT_POSITIVE }];

// --- stressors.memory.size, as size.ts reads it -------------------------------------------------

const PERCENT = "self.endsWith('%')";
/** The number of a percentage (`25` of `25%`). */
const BODY = 'self.substring(0, self.size() - 1)';
/** strconv.Atoi's syntax. */
const GO_INT = celString('^[+-]?[0-9]+$');
/** A size of bytes: a decimal number (Go's float syntax, no minus), an optional space, a go-units unit. */
const BYTES = celString(
  '^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)? ?([kKmMgGtTpP]([iI]?[bB])?|[bB])?$',
);

/**
 * Where go-units splits number from unit: the last digit, dot or space (CEL has no max(), so the
 * greatest of the twelve last indexes is the one no other exceeds). -1 when there is none.
 */
const SEPARATORS = `[${[...'0123456789. '].map(c => `self.lastIndexOf('${c}')`).join(', ')}]`;
const SEP = `${SEPARATORS}.filter(i, ${SEPARATORS}.all(j, j <= i))[0]`;
/** The number go-units parses: up to the separator, which is part of it unless it is a space. */
const NUM = `(self.substring(${SEP}, ${SEP} + 1) == ' ' ? self.substring(0, ${SEP}) : self.substring(0, ${SEP} + 1))`;
/** The unit after it. */
const SUFFIX = `self.substring(${SEP} + 1)`;
const GO_FLOAT = celString(
  '^(?i)[+-]?(([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?|inf|infinity)$|^(?i)nan$',
);
const UNIT = celString('^([kKmMgGtTpP]([iI]?[bB])?|[bB])?$');
/** A number whose value is zero (also `-0`, which go-units lets through). */
const ZERO = celString('^[+-]?(0+[.]?0*|[.]0+)([eE][+-]?[0-9]+)?$');

/**
 * A size that matched BYTES, split cheaply: its unit is at most four trailing letters and spaces,
 * so four bounded regexes find it (the separator search above is for messages of bad sizes).
 */
const TAIL = `(${[4, 3, 2, 1].map(n => `self.matches('[ A-Za-z]{${n}}$') ? ${n} : `).join('')}0)`;
const AMOUNT = `self.substring(0, self.size() - ${TAIL})`;
/** What go-units' units multiply by, as memStress reads them: `KiB`… binary, `kB` and `k` decimal. */
const MULTIPLIER = (() => {
  const entries = ["'': 1.0", "'b': 1.0"];
  [...'kmgtp'].forEach((prefix, i) => {
    const decimal = `${1000 ** (i + 1)}.0`;
    entries.push(
      `'${prefix}': ${decimal}`,
      `'${prefix}b': ${decimal}`,
      `'${prefix}ib': ${1024 ** (i + 1)}.0`,
    );
  });
  return `{${entries.join(', ')}}[self.substring(self.size() - ${TAIL}).trim().lowerAscii()]`;
})();

const invalidSize = `"incorrect bytes format: invalid size: '" + self + "'"`;
const nothing = `'a size of "' + self + '" allocates nothing: nothing would be stressed'`;
const MAX_FLOAT64 = '1.7976931348623157e308';
const outOfRange = (number: string) =>
  `'incorrect bytes format: strconv.ParseFloat: parsing "' + ${number} + '": value out of range'`;
/** What a real API server says when a messageExpression fails (cel-go's double() errors beyond float64). */
const FALLBACK = 'incorrect bytes format: give a percentage from 1 to 100 or a go-units size above 0 bytes';

/**
 * The rules of `stressors.memory.size` (an empty one is the spec's Required rule): a percentage
 * from 1 to 100, or a number of bytes with go-units' units, above 0 bytes. Each message is the
 * engine's (size.ts) for the same value, which replays go-units' checks in order.
 */
export const memorySizeRules: CelValidation[] = [
  {
    rule: `self == '' || !${PERCENT} || ${BODY}.matches(${GO_INT})`,
    messageExpression: `'incorrect bytes format: strconv.Atoi: parsing "' + ${BODY} + '": invalid syntax'`,
  },
  {
    rule: `self == '' || !${PERCENT} || !${BODY}.matches(${GO_INT}) || ${BODY}.matches(${celString('^([+]?0*([0-9]{1,2}|100)|-0+)$')})`,
    message: 'incorrect bytes format: illegal proportion',
  },
  {
    rule: `self == '' || !${PERCENT} || !${BODY}.matches(${celString('^[+-]?0+$')})`,
    messageExpression: nothing,
  },
  {
    rule: `self == '' || ${PERCENT} || self.matches(${BYTES})`,
    messageExpression:
      `${SEP} < 0 ? ${invalidSize} : ` +
      `!${NUM}.matches(${GO_FLOAT}) ? 'incorrect bytes format: strconv.ParseFloat: parsing "' + ${NUM} + '": invalid syntax' : ` +
      `${NUM}.matches(${celString('^[+-]?[0-9.]')}) && (double(${NUM}) > ${MAX_FLOAT64} || double(${NUM}) < -${MAX_FLOAT64}) ? ${outOfRange(NUM)} : ` +
      `${NUM}.startsWith('-') && !${NUM}.matches(${ZERO}) ? ${invalidSize} : ` +
      `!${SUFFIX}.matches(${UNIT}) ? "incorrect bytes format: invalid suffix: '" + (${SUFFIX}.size() > 3 ? ${SUFFIX} : ${SUFFIX}.lowerAscii()) + "'" : ` +
      `${NUM}.matches(${ZERO}) ? ${nothing} : '"' + self + '" is not a finite size'`,
    message: FALLBACK,
  },
  {
    rule: `self == '' || ${PERCENT} || !self.matches(${BYTES}) || (double(${AMOUNT}) <= ${MAX_FLOAT64} && double(${AMOUNT}) * ${MULTIPLIER} >= 1.0)`,
    messageExpression: `double(${AMOUNT}) > ${MAX_FLOAT64} ? ${outOfRange(AMOUNT)} : ${nothing}`,
    message: FALLBACK,
  },
];

/** The cross-field rules of the spec, in the order and on the fields of rules.ts. */
export const stressChaosValidations: CelValidation[] = [
  {
    rule: "has(self.stressors) || (has(self.stressngStressors) && self.stressngStressors != '')",
    message: MISSING_STRESSORS,
  },
  {
    rule: '!has(self.stressors) || has(self.stressors.memory) || has(self.stressors.cpu)',
    message: MISSING_STRESSORS,
    fieldPath: '.stressors',
  },
  {
    // Only once stressors names a stressor: an empty one is refused above, as rules.ts does.
    rule: "!has(self.stressors) || !(has(self.stressors.memory) || has(self.stressors.cpu)) || !has(self.stressngStressors) || self.stressngStressors == ''",
    message: BOTH_STRESSOR_FORMS,
    fieldPath: '.stressngStressors',
  },
  {
    rule: "!has(self.stressors) || !has(self.stressors.memory) || (has(self.stressors.memory.size) && self.stressors.memory.size != '')",
    message: SIZE_REQUIRED,
    fieldPath: '.stressors.memory.size',
    reason: 'FieldValueRequired',
  },
  {
    rule: "!has(self.remoteCluster) || self.remoteCluster == ''",
    message: REMOTE_CLUSTER_UNSUPPORTED,
    fieldPath: '.remoteCluster',
  },
];
