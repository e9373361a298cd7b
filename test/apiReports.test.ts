// SPDX-License-Identifier: Apache-2.0
// The plugin SDK stays small and documented: its API report (scripts/api-report.mjs, checked in
// CI) lists at most 60 exported names, and api-extractor found none of them undocumented.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';

const report = (name: string) => readFile(new URL(`../packages/${name}`, import.meta.url), 'utf8');

describe('the SDK entry', () => {
  it('exports at most 60 names, every one with JSDoc', async () => {
    const text = await report('sdk/api/index.api.md');
    // Declarations, and re-exports of another package's names (TypeBox's `export { Type }`).
    const exported = [
      ...text.matchAll(
        /^export (?:(?:declare )?(?:abstract )?(?:class|function|const|interface|type|enum) (\w+)|\{ (\w+) \})/gm,
      ),
    ].map(m => m[1] ?? m[2]);
    expect(exported.length).toBeGreaterThan(40);
    expect(exported).toContain('Type');
    expect(new Set(exported).size).toBe(exported.length);
    expect(exported.length).toBeLessThanOrEqual(60);
    expect(text).not.toContain('(undocumented)');
  });

  it('re-exports nothing of the engine, the daemon or a Kubernetes client', async () => {
    const text = await report('sdk/api/index.api.md');
    expect(text).not.toMatch(
      /from '@chaosplane\/(engine|daemon|kube|service)'|@kubernetes\/client-node|inversify/,
    );
  });
});
