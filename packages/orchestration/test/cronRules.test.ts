// SPDX-License-Identifier: Apache-2.0
// The Schedule CRD's CEL rules on `schedule` (what `kubectl apply` refuses) and the operator's
// parser (robfig's grammar checked, then croner) agree on a table of expressions Chaos Mesh
// accepts and refuses; the few the rules cannot judge (a range backwards, an unknown zone) are
// left to the operator, as docs/admission.md says.
import { describe, expect, it } from '@jest/globals';
import { validateRules } from '@chaosplane/cel';
import { orchestrationCrds } from '../src/crd/orchestrationCrds.js';
import { parseCronSchedule } from '../src/cron/parseCronSchedule.js';
import { TABLE } from './support/kinds.js';

const schema = orchestrationCrds(TABLE).find(c => c.spec.names.kind === 'Schedule')!.spec.versions[0]!.schema
  .openAPIV3Schema;
const podKill = { action: 'pod-kill', mode: 'one', selector: { namespaces: ['busybox'] } };

/** The CEL verdicts on `spec.schedule` for an expression. */
const atApply = (schedule: string) =>
  validateRules(schema, {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'Schedule',
    metadata: {},
    spec: { schedule, type: 'PodChaos', podChaos: podKill },
  })
    .filter(v => v.field === 'spec.schedule')
    .map(v => v.detail);

/** Whether the operator's parser (robfig's grammar, then croner) takes it. */
const parses = (schedule: string) => {
  try {
    parseCronSchedule(schedule);
    return true;
  } catch {
    return false;
  }
};

const VALID = [
  '5 * * * *',
  '*/15 * * * *',
  '0 30 * * * *',
  '59 23 31 12 6',
  '0 0 1 1 0',
  '00 09 * * *',
  '+5 * * * *',
  '1,2,3-5,10-20/2 * * * *',
  '5/20 * * * ?',
  '? ? ? ? ?',
  '0 9 * JAN-mar mon-FRI',
  '0 9 * Jan,Jun,dec Sun,sat',
  '0 0 * * 0-6/2',
  '*/1 * * * * *',
  '59 59 23 31 12 6',
  '  5   4 * * *  ',
  '\t5\t4 * * *',
  'TZ=UTC 0 9 * * *',
  'CRON_TZ=Asia/Tokyo 0 9 * * *',
  'TZ=America/New_York 0 0 9 * * 1-5',
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
  'TZ=UTC @daily',
  '@every 5s',
  '@every 1h30m',
  '@every 1.5m',
  '@every 300ms',
  '@every 0',
  '@every -5s',
  'CRON_TZ=UTC @every 10m',
];

/** Refused, with the field the CRD's message names (or the shape). */
const INVALID: [expression: string, named: string][] = [
  ['61 * * * *', 'the minute field must be 0-59'],
  ['* 24 * * *', 'the hour field must be 0-23'],
  ['* * 0 * *', 'the day of month field must be 1-31'],
  ['* * 32 * *', 'the day of month field must be 1-31'],
  ['* * * 13 *', 'the month field must be 1-12 or JAN-DEC'],
  ['* * * 0 *', 'the month field must be 1-12 or JAN-DEC'],
  ['* * * * 7', 'the day of week field must be 0-6 or SUN-SAT'],
  ['* * * * SUNDAY', 'the day of week field must be 0-6 or SUN-SAT'],
  ['* * * JANUARY *', 'the month field must be 1-12 or JAN-DEC'],
  ['* * * * jan', 'the day of week field must be 0-6 or SUN-SAT'],
  ['60 * * * * *', 'the second field must be 0-59'],
  ['0 60 * * * *', 'the minute field must be 0-59'],
  ['1-61 * * * *', 'the minute field must be 0-59'],
  ['*/0 * * * *', 'the minute field must be 0-59'],
  ['1/-2 * * * *', 'the minute field must be 0-59'],
  ['1-2-3 * * * *', 'the minute field must be 0-59'],
  ['*/2/3 * * * *', 'the minute field must be 0-59'],
  ['-1 * * * *', 'the minute field must be 0-59'],
  ['x * * * *', 'the minute field must be 0-59'],
  ['1,,2 * * * *', 'the minute field must be 0-59'],
  ['*-5 * * * *', 'the minute field must be 0-59'],
  ['L * * * *', 'the minute field must be 0-59'],
  ['* * L * *', 'the day of month field must be 1-31'],
  ['* * * * 5#3', 'the day of week field must be 0-6 or SUN-SAT'],
  ['* * 15W * *', 'the day of month field must be 1-31'],
  ['* * * *', 'expected 5 or 6 fields'],
  ['* * * * * * *', 'expected 5 or 6 fields'],
  ['', 'expected 5 or 6 fields'],
  ['@fortnightly', 'expected 5 or 6 fields'],
  ['@Daily', 'expected 5 or 6 fields'],
  ['@every five', 'expected 5 or 6 fields'],
  ['@every 5', 'expected 5 or 6 fields'],
  ['@every 5d', 'expected 5 or 6 fields'],
  ['@every', 'expected 5 or 6 fields'],
  ['TZ=UTC', 'expected 5 or 6 fields'],
];

describe('the CRD rules on schedule agree with the operator parser', () => {
  it.each(VALID)('accepts %j', expression => {
    expect({ expression, atApply: atApply(expression), parses: parses(expression) }).toEqual({
      expression,
      atApply: [],
      parses: true,
    });
  });

  it.each(INVALID)('refuses %j (%s)', (expression, named) => {
    expect(parses(expression)).toBe(false);
    const details = atApply(expression);
    expect(details.length).toBeGreaterThan(0);
    expect(details.join('\n')).toContain(named);
    expect(details[0]).toContain(`parse schedule field error: "${expression}"`);
  });

  it('leaves a backward range and an unknown zone to the operator', () => {
    for (const expression of ['5-1 * * * *', 'TZ=Mars/Olympus * * * * *']) {
      expect({ expression, atApply: atApply(expression), parses: parses(expression) }).toEqual({
        expression,
        atApply: [],
        parses: false,
      });
    }
  });

  it('bounds the length (the API server prices a rule by it)', () => {
    // A long list of minutes still fits.
    const long = `${Array.from({ length: 60 }, (_, i) => i).join(',')} 0,6,12,18 * * *`;
    expect(long.length).toBeLessThan(256);
    expect({ atApply: atApply(long), parses: parses(long) }).toEqual({ atApply: [], parses: true });
    const properties = schema.properties as Record<string, unknown>;
    expect(properties['spec']).toMatchObject({ properties: { schedule: { maxLength: 256 } } });
  });
});
