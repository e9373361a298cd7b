// SPDX-License-Identifier: Apache-2.0
// Which plugins an operator (or daemon, or the CRD generator) loads: named by flags, a config
// file, or the environment, in that order of precedence.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ChaosplaneError } from '@chaosplane/sdk';
import { commaList } from './commaList.js';

/** The plugins bundled with Chaosplane, loaded when nothing else is configured. */
export const BUNDLED_PLUGINS: readonly string[] = [
  '@chaosplane/experiment-helloworld',
  '@chaosplane/experiment-podchaos',
  '@chaosplane/experiment-networkchaos',
  '@chaosplane/experiment-stresschaos',
];

/** The environment variable that lists plugins, comma-separated. */
export const PLUGINS_ENV = 'CHAOSPLANE_PLUGINS';

/** Where a plugin list may come from. */
export interface PluginListSources {
  /** `--plugin` flags. */
  flags?: readonly string[];
  /** A YAML or JSON config file with a `plugins` list. */
  configFile?: string;
  /** The environment (defaults to `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The plugin specifiers to load: flags if any, else the config file's `plugins`, else
 * `CHAOSPLANE_PLUGINS`, else the bundled plugins.
 */
export async function resolvePluginList(sources: PluginListSources): Promise<string[]> {
  if (sources.flags && sources.flags.length > 0) return [...sources.flags];
  if (sources.configFile !== undefined) {
    const fromFile = await readPluginsFromConfig(sources.configFile);
    if (fromFile !== undefined) return fromFile;
  }
  const env = (sources.env ?? process.env)[PLUGINS_ENV];
  if (env !== undefined && env.trim() !== '') {
    return commaList(env);
  }
  return [...BUNDLED_PLUGINS];
}

async function readPluginsFromConfig(file: string): Promise<string[] | undefined> {
  let config: unknown;
  try {
    config = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ChaosplaneError('invalid', `cannot read config file ${file}: ${(error as Error).message}`, {
      field: 'config',
      cause: error,
    });
  }
  if (config === null || config === undefined) return undefined;
  const plugins = (config as { plugins?: unknown }).plugins;
  if (plugins === undefined) return undefined;
  if (!Array.isArray(plugins) || !plugins.every(p => typeof p === 'string')) {
    throw new ChaosplaneError('invalid', `${file}: plugins must be a list of package names or paths`, {
      field: 'plugins',
    });
  }
  return plugins;
}
