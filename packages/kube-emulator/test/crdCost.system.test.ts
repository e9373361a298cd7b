// SPDX-License-Identifier: Apache-2.0
// Real kubectl against the emulator: a CRD whose CEL rules a real API server would refuse for
// their estimated cost is refused the same way (422, the API server's field paths and sentences),
// on create and on update, and the same CRD with maxItems/maxLength bounds is accepted.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { kubectlOutcome, type KubectlOutcome } from '@chaosplane/dev';
import { describeIf, kubectlUnavailableReason } from '@chaosplane/testing';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { type KubeEmulator, startKubeEmulator } from '../src/index.js';
import { specCrd } from './fixtures.js';

/** Every pair of tags compared: quadratic in the list, linear in the strings. */
const PAIRWISE = 'self.all(a, self.exists(b, a == b))';
const SCHEMA_PATH = 'spec.versions[0].schema.openAPIV3Schema';
const ADVICE =
  '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)';

/** A list of strings carrying PAIRWISE, with the bounds given (none: unbounded). */
function tags(bounds: { maxItems?: number; maxLength?: number } = {}) {
  const { maxItems, maxLength } = bounds;
  return {
    type: 'array',
    ...(maxItems === undefined ? {} : { maxItems }),
    items: { type: 'string', ...(maxLength === undefined ? {} : { maxLength }) },
    'x-kubernetes-validations': [{ rule: PAIRWISE, message: 'tags must pair' }],
  };
}

const crd = (plural: string, specProperties: Record<string, unknown>) =>
  specCrd('cost.example.com', plural, specProperties);

describeIf(kubectlUnavailableReason(20, 'apply'))('the estimated cost of CRD rules (kubectl)', () => {
  let emulator: KubeEmulator;
  let dir: string;

  const kubectl = (...args: string[]): Promise<KubectlOutcome> =>
    kubectlOutcome(emulator.kubeconfigPath, ['--cache-dir', path.join(dir, 'cache'), ...args], {
      timeoutMs: 30_000,
    });

  function apply(name: string, manifest: unknown): Promise<KubectlOutcome> {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, stringify(manifest));
    return kubectl('apply', '-f', file);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-crd-cost-'));
    emulator = await startKubeEmulator();
  });
  afterAll(async () => {
    await emulator.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses nested all() over an unbounded list of unbounded strings, naming the rule and the factor', async () => {
    const refused = await apply('unbounded', crd('pairs', { tags: tags() }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('The CustomResourceDefinition "pairs.cost.example.com" is invalid');
    const rule = `${SCHEMA_PATH}.properties[spec].properties[tags].x-kubernetes-validations[0].rule`;
    expect(refused.stderr).toContain(
      `${rule}: Forbidden: estimated rule cost exceeds budget by factor of more than 100x ${ADVICE}`,
    );
    // The same rule is also what puts the whole schema over its budget.
    expect(refused.stderr).toContain(
      `${rule}: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`,
    );
    expect(refused.stderr).toContain(
      `${SCHEMA_PATH}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x`,
    );
    expect((await kubectl('get', 'crd', 'pairs.cost.example.com')).code).not.toBe(0);
  });

  it('accepts the same rule once the list and its strings are bounded, and refuses an update past the budget', async () => {
    // 100 tags of 64 characters: 320,502 (the rule costs 3,205 per tag, each tag comparing with 100).
    const bounded = await apply('bounded', crd('pairs', { tags: tags({ maxItems: 100, maxLength: 64 }) }));
    expect(bounded.stderr).toBe('');
    expect(bounded.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/pairs.cost.example.com created',
    );
    // 600 tags: 11,523,002, just over 10,000,000: the factor is printed as Go's %f.
    const updated = await apply('too-many', crd('pairs', { tags: tags({ maxItems: 600, maxLength: 64 }) }));
    expect(updated.code).not.toBe(0);
    expect(updated.stderr).toContain(
      `${SCHEMA_PATH}.properties[spec].properties[tags].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of 1.152300x`,
    );
    const stored = await kubectl(
      'get',
      'crd',
      'pairs.cost.example.com',
      '-o',
      'jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.tags.maxItems}',
    );
    expect(stored.stdout).toBe('100');
  });

  it('refuses a CRD whose rules are each within budget but together exceed the per-CRD budget', async () => {
    // 545 tags of 64 characters: 9,507,527 each, under 10,000,000; eleven of them: 104,582,797.
    const fields = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`tags${i}`, tags({ maxItems: 545, maxLength: 64 })]),
      );
    const refused = await apply('eleven', crd('elevens', fields(11)));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).not.toContain('estimated rule cost exceeds budget');
    expect(refused.stderr).toContain(
      `${SCHEMA_PATH}: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.045828x ${ADVICE}`,
    );
    // The four costliest expressions are named (here all cost the same: the first four).
    const contributed = refused.stderr.match(/contributed to estimated rule cost total/g) ?? [];
    expect(contributed).toHaveLength(4);
    expect(refused.stderr).toContain(
      `${SCHEMA_PATH}.properties[spec].properties[tags0].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema`,
    );
    const ten = await apply('ten', crd('elevens', fields(10)));
    expect(ten.stderr).toBe('');
    expect(ten.code).toBe(0);
  });
});
