// SPDX-License-Identifier: Apache-2.0
// Finds plugin modules by package name or file path and imports them: the operator and the
// daemon load plugins the same way, so a name resolves alike in both.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChaosplaneError, type ChaosPlugin } from '@chaosplane/sdk';
import { isChaosPlugin } from '@chaosplane/sdk/framework';

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** Directory package names are resolved from; defaults to the current directory. */
  from?: string;
}

function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
}

async function importSpecifier(specifier: string, from: string): Promise<unknown> {
  if (isPathSpecifier(specifier)) {
    const url = specifier.startsWith('file:') ? specifier : pathToFileURL(path.resolve(from, specifier)).href;
    return import(url);
  }
  let resolved: string;
  try {
    resolved = createRequire(path.join(from, 'package.json')).resolve(specifier);
  } catch (error) {
    // ESM-only packages without a require/default export condition, or a package installed
    // beside Chaosplane rather than under `from`: let Node's ESM resolver try from here.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'MODULE_NOT_FOUND') return import(specifier);
    throw error;
  }
  return import(pathToFileURL(resolved).href);
}

/**
 * Imports one plugin module, a package name resolved from `options.from` (the current
 * directory by default) or a file path, and returns its default export unchecked. The
 * operator's and the daemon's loaders share it, so a name resolves the same way in both.
 * @throws ChaosplaneError of kind `plugin` when it cannot be imported
 */
export async function importPluginModule(
  specifier: string,
  options: LoadPluginsOptions = {},
): Promise<unknown> {
  try {
    const module = (await importSpecifier(specifier, options.from ?? process.cwd())) as { default?: unknown };
    return module.default;
  } catch (error) {
    throw new ChaosplaneError('plugin', `cannot load plugin "${specifier}": ${(error as Error).message}`, {
      cause: error,
      field: 'plugins',
    });
  }
}

/**
 * Imports each plugin (a package name resolved from `options.from`, or a file path) and
 * returns its default export, checked to be a {@link ChaosPlugin}. Two plugins of the same
 * kind are refused.
 */
export async function loadPlugins(
  specifiers: readonly string[],
  options: LoadPluginsOptions = {},
): Promise<ChaosPlugin[]> {
  const from = options.from ?? process.cwd();
  const plugins: ChaosPlugin[] = [];
  const seen = new Map<string, string>();
  for (const specifier of specifiers) {
    const candidate = await importPluginModule(specifier, { from });
    if ((candidate as { chaosplanePlugin?: unknown } | undefined)?.chaosplanePlugin === 1) {
      throw new ChaosplaneError(
        'plugin',
        `plugin "${specifier}" was built with @chaosplane/core (plugin contract 1): rebuild it on @chaosplane/sdk (see docs/reference/plugin-api.md)`,
        { field: 'plugins' },
      );
    }
    if (!isChaosPlugin(candidate)) {
      throw new ChaosplaneError(
        'plugin',
        `plugin "${specifier}" does not export a plugin: its default export must be the result of definePlugin()`,
      );
    }
    const key = `${candidate.kind.kind}.${candidate.kind.group}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ChaosplaneError('plugin', `plugins "${previous}" and "${specifier}" both define ${key}`);
    }
    seen.set(key, specifier);
    // A plugin built on an SDK from before `operatorAccess` declares no access.
    const declared = (candidate as { operatorAccess?: ChaosPlugin['operatorAccess'] }).operatorAccess;
    plugins.push(declared === undefined ? { ...candidate, operatorAccess: [] } : candidate);
  }
  return plugins;
}
