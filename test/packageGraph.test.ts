// SPDX-License-Identifier: Apache-2.0
// The package dependency graph of docs/architecture.md, checked: what each package declares and
// what its sources import. The production operator and daemon never reach the dev control plane,
// the test kit or the emulator; plugins reach only the SDK and the daemon's plugin entry; every
// `@chaosplane/*` import is declared; no package index re-exports with `export *`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const workspaces = (
  JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces;
const packageDirs = workspaces.filter(w => w.startsWith('packages/'));
const manifests = new Map<string, { dir: string; manifest: Manifest }>(
  packageDirs.map(dir => {
    const manifest = JSON.parse(readFileSync(path.join(repo, dir, 'package.json'), 'utf8')) as Manifest;
    return [manifest.name, { dir, manifest }];
  }),
);

/** The workspace packages `name` needs at run time, directly or through others. */
function runtimeClosure(name: string, seen = new Set<string>()): Set<string> {
  for (const dep of Object.keys(manifests.get(name)?.manifest.dependencies ?? {})) {
    if (!manifests.has(dep) || seen.has(dep)) continue;
    seen.add(dep);
    runtimeClosure(dep, seen);
  }
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(entry => {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return entry === 'gen' ? [] : sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** `@chaosplane/x` or `@chaosplane/x/entry` specifiers imported by a package's sources. */
function chaosplaneImports(dir: string): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(path.join(repo, dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(@chaosplane\/[a-z-]+(?:\/[a-z-]+)?)'/g))
      found.add(match[1]!);
  }
  return found;
}

const DEV_AND_TEST = [
  '@chaosplane/dev',
  '@chaosplane/testing',
  '@chaosplane/kube-emulator',
  '@chaosplane/cli',
];

describe('package dependency graph', () => {
  it.each(['@chaosplane/operator', '@chaosplane/daemon', '@chaosplane/engine', '@chaosplane/selectors'])(
    '%s never reaches the dev control plane, the test kit or the emulator at run time',
    name => {
      expect(manifests.has(name)).toBe(true);
      const closure = [...runtimeClosure(name)];
      expect(closure.filter(dep => DEV_AND_TEST.includes(dep))).toEqual([]);
    },
  );

  it('the SDK has no workspace dependency and only TypeBox at run time', () => {
    expect(manifests.get('@chaosplane/sdk')!.manifest.dependencies).toEqual({
      '@sinclair/typebox': expect.any(String),
    });
  });

  it.each([...manifests.keys()].filter(name => name.startsWith('@chaosplane/experiment-')))(
    'plugin %s imports only the SDK and the daemon entries for plugins (handlers, core stubs)',
    name => {
      const allowed = ['@chaosplane/sdk', '@chaosplane/daemon/plugin', '@chaosplane/daemon/client'];
      const imports = [...chaosplaneImports(manifests.get(name)!.dir)];
      expect(imports.filter(spec => !allowed.includes(spec))).toEqual([]);
    },
  );

  it.each(packageDirs)('%s declares every @chaosplane package its sources import', dir => {
    const { manifest } = [...manifests.values()].find(m => m.dir === dir)!;
    const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
    const undeclared = [...chaosplaneImports(dir)]
      .map(spec => spec.split('/').slice(0, 2).join('/'))
      .filter(pkg => !declared.has(pkg));
    expect(undeclared).toEqual([]);
  });

  it.each(packageDirs)('%s re-exports nothing with export *', dir => {
    const offenders = sourceFiles(path.join(repo, dir, 'src')).filter(file =>
      /^export \*/m.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map(file => path.relative(repo, file))).toEqual([]);
  });
});
