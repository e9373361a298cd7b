// SPDX-License-Identifier: Apache-2.0
// The schema verdicts of custom resources, error for error and in order, on every schema × value
// of the corpus (schemaCorpus.ts): what the emulator answered before the one ajv path, recorded
// in schemaCorpus.expected.json (the differential test that showed the two paths identical ran
// against the hand-written walker before it was deleted: see git history of this directory).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type FieldError } from '../src/errors.js';
import { validateSchema } from '../src/crd/schema.js';
import { CORPUS } from './schemaCorpus.js';

const expected = JSON.parse(
  readFileSync(new URL('./schemaCorpus.expected.json', import.meta.url), 'utf8'),
) as Record<string, FieldError[]>;

const cases = CORPUS.flatMap(entry =>
  entry.values.map((value, i) => [`${entry.name} #${i}`, entry.schema, value] as const),
);

describe('custom resource schema verdicts', () => {
  it('covers every recorded case, and most of them fail', () => {
    expect(cases.map(([name]) => name).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.values(expected).filter(errors => errors.length > 0).length).toBeGreaterThan(100);
  });

  it.each(cases)('%s', (name, schema, value) => {
    expect(validateSchema(schema, value)).toEqual(expected[name]);
  });
});
