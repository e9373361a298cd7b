// SPDX-License-Identifier: Apache-2.0
// The CRD's CEL rules (what a real API server refuses at `kubectl apply`) and the TypeScript rules
// (what the engine refuses, with Chaos Mesh's wording) agree: on a table of specs, the same fields
// with the same messages; on sizes, the same verdict and message for arbitrary strings. Only the
// stress-ng option allowlist is the engine's alone.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateRules } from '@chaosplane/cel';
import { crdSpecSchema } from '@chaosplane/engine';
import plugin, { type StressChaosSpec } from '@chaosplane/experiment-stresschaos';

const kind = plugin.kind;
const schema = crdSpecSchema(kind);

const spec = (more: Record<string, unknown>) =>
  ({ selector: { namespaces: ['default'] }, mode: 'one', ...more }) as StressChaosSpec;

/** The TypeScript rules' violations, as `field: message`. */
const ts = (s: StressChaosSpec) =>
  kind.rules.flatMap(rule => rule(s, 'spec')).map(v => `${v.field}: ${v.message}`);

/** The CRD's CEL violations, as the engine reports them (`Required value: …` for a required field). */
const cel = (s: StressChaosSpec) =>
  validateRules(schema, s, { path: 'spec' }).map(
    v => `${v.field}: ${v.reason === 'FieldValueInvalid' ? v.message : v.detail}`,
  );

const memory = (size?: string) => ({
  stressors: { memory: { workers: 1, ...(size !== undefined ? { size } : {}) } },
});

describe('StressChaos CEL rules and TypeScript rules', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a cpu stressor', { stressors: { cpu: { workers: 2, load: 50 } } }],
    ['cpu and memory', { stressors: { cpu: { workers: 1 }, memory: { workers: 2, size: '25%' } } }],
    ['stressngStressors', { stressngStressors: '--cpu 1 --vm 1' }],
    ['nothing', {}],
    ['an empty stressngStressors', { stressngStressors: '' }],
    ['an empty stressors', { stressors: {} }],
    ['an empty stressors beside stressngStressors', { stressors: {}, stressngStressors: '--cpu 1' }],
    ['both forms', { stressors: { cpu: { workers: 1 } }, stressngStressors: '--cpu 1' }],
    ['both forms, stressngStressors empty', { stressors: { cpu: { workers: 1 } }, stressngStressors: '' }],
    ['0 cpu workers', { stressors: { cpu: { workers: 0 } } }],
    [
      'negative workers on both',
      { stressors: { cpu: { workers: -1 }, memory: { workers: 0, size: '1MB' } } },
    ],
    ['a memory stressor without a size', memory()],
    ['an empty size', memory('')],
    ['a percentage', memory('100%')],
    ['a percentage above 100', memory('101%')],
    ['a negative percentage', memory('-1%')],
    ['0%', memory('0%')],
    ['a fractional percentage', memory('12.5%')],
    ['a percent sign alone', memory('%')],
    ['binary units', memory('64MiB')],
    ['a space before the unit', memory('64 MB')],
    ['bare bytes', memory('4096')],
    ['an exponent', memory('1e3KB')],
    ['0 bytes', memory('0MB')],
    ['half a byte', memory('0.5')],
    ['a negative size', memory('-1Kb')],
    ['a bad suffix', memory('64Mi')],
    ['a long bad suffix', memory('1 TiBs')],
    ['two dots', memory('1.5.5GB')],
    ['a unit alone', memory('GB')],
    ['an infinite size', memory('inf KB')],
    ['beyond float64', memory('1e400')],
    ['remoteCluster', { stressors: { cpu: { workers: 1 } }, remoteCluster: 'east' }],
    ['an empty remoteCluster', { stressors: { cpu: { workers: 1 } }, remoteCluster: '' }],
  ])('%s: the same fields and messages', (_what, more) => {
    const s = spec(more);
    expect(cel(s)).toEqual(ts(s));
  });

  it('every size string: the same verdict and message (fast-check over go-units’ alphabet)', () => {
    const alphabet = [...'0123456789.+-eEkKmMgGtTpPiIbB% xn'];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 8 }), size => {
        const s = spec(memory(size));
        expect(cel(s)).toEqual(ts(s));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the stress-ng option allowlist to the engine: CEL admits what only the engine refuses', () => {
    const s = spec({ stressors: { cpu: { workers: 1, options: ['--log-file /etc/passwd'] } } });
    expect(cel(s)).toEqual([]);
    expect(ts(s)).toEqual([expect.stringContaining('"--log-file" is not admitted')]);
  });
});
