// SPDX-License-Identifier: Apache-2.0
// A CRD written again 500 times (a new schema object each time, as kubectl apply makes it) leaves
// the heap as it was: the compiled code is found again by the schema's text (at most the 64 most
// recent texts are kept), and nothing else stays. One shared ajv instance, which registered every
// schema object it compiled, kept about 130 KiB per write of this size (about 65 MiB here). Run in a child Node with
// --expose-gc on the built package (npm run build first): in jest, generated code is retained by
// the test environment. Identical schemas, because V8's compilation cache keeps the code of every
// distinct `new Function` source (about 100 KiB per distinct schema of this size; gone with
// --no-compilation-cache): that is V8's, not ajv's nor ours.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const dist = path.resolve(new URL('.', import.meta.url).pathname, '../dist/index.js');

const SCRIPT = `
const { validateSchema } = await import(${JSON.stringify(dist)});
const schemaOf = i => ({ type: 'object', properties: Object.fromEntries(
  Array.from({ length: 50 }, (_, p) => ['p' + p, { type: 'string', maxLength: 5, pattern: '^[a-z]+$' }])) });
globalThis.gc();
const before = process.memoryUsage().heapUsed;
let errors = 0;
for (let i = 0; i < 500; i++) errors += validateSchema(schemaOf(i), { p1: 'abc', p2: 1 }).length;
await new Promise(r => setTimeout(r, 10));
globalThis.gc();
console.log(JSON.stringify({ errors, grownMiB: (process.memoryUsage().heapUsed - before) / 2 ** 20 }));
`;

describe('compiled schemas', () => {
  it('do not accumulate when the same schema comes back as new objects', async () => {
    expect(existsSync(dist)).toBe(true); // built by npm run build
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT]);
    const { errors, grownMiB } = JSON.parse(stdout) as { errors: number; grownMiB: number };
    expect(errors).toBe(500); // every schema compiled and used: p2 is no string
    expect(grownMiB).toBeLessThan(20);
  }, 120_000);
});
