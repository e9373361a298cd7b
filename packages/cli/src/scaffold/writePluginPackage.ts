// SPDX-License-Identifier: Apache-2.0
// `chaosplane new plugin <name>`: writes a plugin package from templates/plugin: a kind with its
// schema, a controller, a daemon handler with its proto and buf config, an example manifest and
// a test on the test kit; it builds and its test passes as written.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChaosplaneError } from '@chaosplane/sdk';
import { pluginNames, type PluginNames } from './pluginNames.js';

/** Options of {@link writePluginPackage}. */
export interface WritePluginOptions {
  /** The package name (`demo-chaos`). */
  name: string;
  /** The directory the package directory is created in. */
  parentDir: string;
  /**
   * Where the @chaosplane packages come from: a version range of the published packages, or a
   * directory of `npm pack` tarballs (dependencies and `overrides` then name the files).
   */
  chaosplane: { range: string } | { tarballs: string };
}

const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/plugin', import.meta.url));

function fill(text: string, names: PluginNames, range: string): string {
  return text
    .replaceAll('__PACKAGE__', names.packageName)
    .replaceAll('__KIND__', names.kind)
    .replaceAll('__PLURAL__', names.plural)
    .replaceAll('__SERVICE__', names.service)
    .replaceAll('__PROTO_PACKAGE__', names.protoPackage)
    .replaceAll('__PROTO_DIR__', names.protoDir)
    .replaceAll('__CHAOSPLANE__', range);
}

/** Where each template file goes in the new package. */
function targetOf(relative: string, names: PluginNames): string {
  if (relative === path.join('proto', 'plugin.proto.template'))
    return path.join('proto', names.protoDir, 'plugin.proto');
  if (relative === path.join('examples', 'example.yaml.template'))
    return path.join('examples', `${names.plural}.yaml`);
  if (relative === 'gitignore.template') return '.gitignore';
  return relative.replace(/\.template$/, '');
}

async function templateFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await templateFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files;
}

/** `file:` specs of every @chaosplane tarball in `dir` (`chaosplane-sdk-0.1.0.tgz` → `@chaosplane/sdk`). */
async function tarballSpecs(dir: string): Promise<Record<string, string>> {
  const specs: Record<string, string> = {};
  for (const file of await readdir(dir)) {
    const match = /^chaosplane-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file);
    if (match) specs[`@chaosplane/${match[1]}`] = `file:${path.resolve(dir, file)}`;
  }
  if (Object.keys(specs).length === 0) {
    throw new ChaosplaneError('not-found', `${dir} holds no @chaosplane tarballs (npm pack output)`, {
      field: 'chaosplane-from',
    });
  }
  return specs;
}

/** Points the package's @chaosplane dependencies, direct and indirect, at local tarballs. */
function useTarballs(manifest: Record<string, Record<string, string>>, specs: Record<string, string>) {
  for (const field of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {}))
      if (specs[name]) manifest[field]![name] = specs[name];
  }
  // npm wants an override of a direct dependency to equal its spec, which it does here.
  manifest['overrides'] = specs;
}

/** Writes the plugin package; returns its directory. */
export async function writePluginPackage(options: WritePluginOptions): Promise<string> {
  const names = pluginNames(options.name);
  const target = path.resolve(options.parentDir, names.packageName.replace(/^@[^/]+\//, ''));
  if (existsSync(target)) {
    throw new ChaosplaneError('conflict', `${target} already exists: choose another name or directory`, {
      field: 'name',
    });
  }
  const range = 'range' in options.chaosplane ? options.chaosplane.range : '*';
  for (const relative of await templateFiles(TEMPLATE_DIR)) {
    let text = fill(await readFile(path.join(TEMPLATE_DIR, relative), 'utf8'), names, range);
    if (relative === 'package.json.template' && 'tarballs' in options.chaosplane) {
      const manifest = JSON.parse(text) as Record<string, Record<string, string>>;
      useTarballs(manifest, await tarballSpecs(options.chaosplane.tarballs));
      text = `${JSON.stringify(manifest, null, 2)}\n`;
    }
    const file = path.join(target, targetOf(relative, names));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return target;
}
