// SPDX-License-Identifier: Apache-2.0
// robfig/cron's grammar (as Chaos Mesh's Schedule webhook parses it) as CEL rules on the CRD's
// `schedule` string, so that `kubectl apply` refuses `61 * * * *` naming spec.schedule and the
// field of the expression that is wrong, with no webhook. The regular expressions are RE2 (no
// lookaround, no backreferences, no inline flags: names are spelled `[jJ][aA][nN]`), as the API
// server's `matches()` is. What a regular expression cannot say stays in the engine's parser
// (parseCronSchedule.ts): a range's start after its end (`5-1`), the time zone's existence, a
// step or an `@every` duration beyond int64. Each field is found by counting from the end of the
// expression, so the optional seconds field and the optional zone prefix cannot shift it.
import { celString } from '@chaosplane/sdk';
import type { CelValidation } from '@chaosplane/sdk';

/**
 * The longest schedule accepted at apply. The API server estimates a rule's cost from the
 * string's maximum length (a tenth of four bytes per character, times a quarter of the regular
 * expression's length), once per place a schedule can be, and a workflow's 64 templates each have
 * one. Measured with @chaosplane/cel's estimator (test/crdCost.test.ts): at 256 the costliest cron
 * rule is 23,075 per evaluation and all of the Schedule CRD's schedule rules 4.8 million of its
 * 70.8 million; unbounded, the costliest alone would be 70 million, over the 10 million limit.
 */
export const MAX_SCHEDULE_LENGTH = 256;

/** One field of the grammar: its name in messages, its numbers (a regex) and its names. */
interface CronField {
  readonly name: string;
  readonly range: string;
  readonly numbers: string;
  readonly names?: readonly string[];
}

/** `jan` as `[jJ][aA][nN]`: robfig reads names case-insensitively. */
const anyCase = (name: string) => [...name].map(c => `[${c.toLowerCase()}${c.toUpperCase()}]`).join('');

// Go's strconv.Atoi reads an optional `+` and leading zeros.
const SECOND: CronField = { name: 'second', range: '0-59', numbers: '[0-9]|[1-5][0-9]' };
const MINUTE: CronField = { name: 'minute', range: '0-59', numbers: '[0-9]|[1-5][0-9]' };
const HOUR: CronField = { name: 'hour', range: '0-23', numbers: '[0-9]|1[0-9]|2[0-3]' };
const DAY_OF_MONTH: CronField = { name: 'day of month', range: '1-31', numbers: '[1-9]|[12][0-9]|3[01]' };
const MONTH: CronField = {
  name: 'month',
  range: '1-12 or JAN-DEC',
  numbers: '[1-9]|1[0-2]',
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DAY_OF_WEEK: CronField = {
  name: 'day of week',
  range: '0-6 or SUN-SAT',
  numbers: '[0-6]',
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};
/** The five fields every expression has, in order (the optional seconds come before them). */
const FIELDS: readonly CronField[] = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK];

/** A step: a positive int64 (at most 18 significant digits here). */
const STEP = '[+]?0*[1-9][0-9]{0,17}';
/** A field's whole text: comma-separated `*`, `?`, `v`, `v-v`, each with an optional `/step`. */
function fieldPattern(field: CronField): string {
  const value = `([+]?0*(${field.numbers})${field.names ? `|${field.names.map(anyCase).join('|')}` : ''})`;
  const part = `([*?]|${value}(-${value})?)(/${STEP})?`;
  return `${part}(,${part})*`;
}

/** An optional `TZ=zone ` or `CRON_TZ=zone ` prefix, after optional blanks. */
const PREFIX = '^\\s*((CRON_TZ|TZ)=\\S+\\s+)?';
const SUFFIX = '\\s*$';
const DESCRIPTOR = '@(yearly|annually|monthly|weekly|daily|midnight|hourly)';
/** `@every` and a Go duration (time.ParseDuration: signed, `0`, or terms of a number and a unit). */
const EVERY = '@every \\s*[-+]?(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|µs|μs|ms|s|m|h))+)';
/** Five or six blank-separated fields, whatever they hold. */
const FIELDS_FORM = `${PREFIX}(\\S+\\s+){4,5}\\S+${SUFFIX}`;
const SHAPE = `${PREFIX}(${DESCRIPTOR}|${EVERY}|(\\S+\\s+){4,5}\\S+)${SUFFIX}`;

/** Chaos Mesh's message prefix, then ours: the expression and what is wrong with it. */
const message = (what: string) =>
  `${celString('parse schedule field error: "')} + self + ${celString(`": ${what}`)}`;

/**
 * The pattern under which the field `index` (0 = minute … 4 = day of week; -1 = the seconds of a
 * six-field expression) is well-formed, the others being anything.
 */
function fieldRulePattern(index: number): string {
  if (index < 0) return `${PREFIX}(${fieldPattern(SECOND)}\\s+)?(\\S+\\s+){4}\\S+${SUFFIX}`;
  const before = index === 0 ? '(\\S+\\s+)?' : `(\\S+\\s+){${index},${index + 1}}`;
  const after = index === FIELDS.length - 1 ? '' : `(\\s+\\S+){${FIELDS.length - 1 - index}}`;
  return `${PREFIX}${before}(${fieldPattern(FIELDS[index]!)})${after}${SUFFIX}`;
}

/** The rule of one field: an expression of fields has it well-formed. */
function fieldRule(index: number): CelValidation {
  const field = index < 0 ? SECOND : FIELDS[index]!;
  return {
    rule: `!self.matches(${celString(FIELDS_FORM)}) || self.matches(${celString(fieldRulePattern(index))})`,
    messageExpression: message(
      `the ${field.name} field must be ${field.range}, *, ?, a range a-b, a step /n or a list of them`,
    ),
  };
}

/**
 * The CEL rules of a `schedule` string: its shape (a descriptor, `@every <duration>`, or five or
 * six fields after an optional zone), then each field's values, so the message names the field.
 */
export function cronScheduleRules(): CelValidation[] {
  return [
    {
      rule: `self.matches(${celString(SHAPE)})`,
      messageExpression: message(
        'expected 5 or 6 fields (seconds first), @yearly, @annually, @monthly, @weekly, @daily, ' +
          '@midnight, @hourly or @every <Go duration>, optionally after TZ=<zone> or CRON_TZ=<zone>',
      ),
    },
    fieldRule(-1),
    ...FIELDS.map((_, index) => fieldRule(index)),
  ];
}
