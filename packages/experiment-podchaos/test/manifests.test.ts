// SPDX-License-Identifier: Apache-2.0
// The example manifests (examples/podchaos-*.yaml) and Chaos Mesh's own (test fixtures) are
// valid PodChaos objects, one per action.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { validateChaosObject } from '@chaosplane/engine';
import { type ChaosObject } from '@chaosplane/sdk';
import plugin, { type PodChaosSpec } from '@chaosplane/experiment-podchaos';

const here = path.dirname(fileURLToPath(import.meta.url));
const examples = path.resolve(here, '../../../examples');
const kind = plugin.kind;

async function load(dir: string, filter: (name: string) => boolean) {
  const names = (await readdir(dir)).filter(filter).sort();
  const objects: Array<{ file: string; obj: ChaosObject<PodChaosSpec> }> = [];
  for (const file of names) {
    for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8')))
      objects.push({ file, obj: doc.toJS() as ChaosObject<PodChaosSpec> });
  }
  return objects;
}

describe('PodChaos manifests', () => {
  it.each([
    ['examples/podchaos-*.yaml', examples, (n: string) => /^podchaos-.*\.yaml$/.test(n)],
    ['Chaos Mesh’s examples', path.join(here, 'fixtures', 'chaos-mesh'), (n: string) => n.endsWith('.yaml')],
  ])('%s: one valid PodChaos per action', async (_label, dir, filter) => {
    const objects = await load(dir, filter);
    expect(objects.map(o => o.obj.spec.action).sort()).toEqual(['container-kill', 'pod-failure', 'pod-kill']);
    for (const { file, obj } of objects) {
      expect({ file, apiVersion: obj.apiVersion, kind: obj.kind }).toEqual({
        file,
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'PodChaos',
      });
      expect({ file, violations: validateChaosObject(kind, obj) }).toEqual({ file, violations: [] });
    }
  });
});
