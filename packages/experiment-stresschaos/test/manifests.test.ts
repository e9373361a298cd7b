// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's own StressChaos examples (test fixtures) and examples/stresschaos-*.yaml are valid
// StressChaos objects, unchanged.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { validateChaosObject } from '@chaosplane/engine';
import { type ChaosObject } from '@chaosplane/sdk';
import plugin, { type StressChaosSpec } from '@chaosplane/experiment-stresschaos';

const here = path.dirname(fileURLToPath(import.meta.url));

async function load(dir: string, filter: (name: string) => boolean) {
  const objects: Array<{ file: string; obj: ChaosObject<StressChaosSpec> }> = [];
  for (const file of (await readdir(dir)).filter(filter).sort())
    for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8')))
      objects.push({ file, obj: doc.toJS() as ChaosObject<StressChaosSpec> });
  return objects;
}

describe('StressChaos manifests', () => {
  it.each([
    [
      'Chaos Mesh’s examples',
      path.join(here, 'fixtures', 'chaos-mesh'),
      (n: string) => n.endsWith('.yaml'),
      2,
    ],
    [
      'examples/stresschaos-*.yaml',
      path.resolve(here, '../../../examples'),
      (n: string) => n.startsWith('stresschaos-'),
      3,
    ],
  ])('%s are valid StressChaos objects', async (_label, dir, filter, count) => {
    const objects = await load(dir, filter);
    expect(objects).toHaveLength(count);
    for (const { file, obj } of objects) {
      expect({ file, kind: obj.kind, apiVersion: obj.apiVersion }).toEqual({
        file,
        kind: 'StressChaos',
        apiVersion: 'chaos-mesh.org/v1alpha1',
      });
      expect({ file, violations: validateChaosObject(plugin.kind, obj) }).toEqual({ file, violations: [] });
    }
  });
});
