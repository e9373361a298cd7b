// SPDX-License-Identifier: Apache-2.0
// The hand-written schema walker and the one ajv path (@chaosplane/cel compileSchema) give the
// same verdict, error for error and in the same order, on every schema × value of the corpus.
// RECORD_SCHEMA_CORPUS=1 writes the verdicts to schemaCorpus.expected.json.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { validateSchema as ajvPath } from '@chaosplane/cel';
import { validateSchema as walker } from '../src/crd/schema.js';
import { CORPUS } from './schemaCorpus.js';

const cases = CORPUS.flatMap(entry =>
  entry.values.map((value, i) => [`${entry.name} #${i}`, entry.schema, value] as const),
);

describe('the schema walker and the ajv path', () => {
  it.each(cases)('agree on %s', (_name, schema, value) => {
    const before = walker(schema, value);
    const after = ajvPath(schema, value).map(v => ({ field: v.field, type: v.reason, detail: v.detail }));
    expect(after).toEqual(before);
  });

  it('records the verdicts when asked', () => {
    if (process.env['RECORD_SCHEMA_CORPUS'] !== '1') return;
    const verdicts = Object.fromEntries(cases.map(([name, schema, value]) => [name, walker(schema, value)]));
    writeFileSync(
      new URL('./schemaCorpus.expected.json', import.meta.url),
      `${JSON.stringify(verdicts, null, 2)}\n`,
    );
  });
});
