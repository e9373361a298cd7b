// SPDX-License-Identifier: Apache-2.0
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ChaosplaneError } from '@chaosplane/core';

import type { DaemonHandlerRegistration } from './DaemonPlugin.js';

/** A plugin's daemon half, with where it came from. */
export interface LoadedDaemonPlugin {
  /** The package name or file it was loaded from. */
  source: string;
  registration: DaemonHandlerRegistration;
}

/**
 * Imports plugin modules (package names, or paths to .js files) and returns their daemon
 * halves. A module's default export must be an object; one without a `daemon` field is a
 * controller-only plugin and is skipped. A `daemon` field must hold `{service, handler}`.
 */
export async function loadDaemonPlugins(
  specifiers: readonly string[],
  options: { baseDir?: string } = {},
): Promise<LoadedDaemonPlugin[]> {
  const loaded: LoadedDaemonPlugin[] = [];
  for (const specifier of specifiers) {
    const isPath = specifier.startsWith('/') || specifier.startsWith('.');
    const target = isPath
      ? pathToFileURL(path.resolve(options.baseDir ?? process.cwd(), specifier)).href
      : specifier;
    let module: { default?: unknown };
    try {
      module = (await import(target)) as { default?: unknown };
    } catch (error) {
      throw new ChaosplaneError(
        'plugin',
        `plugin ${specifier} could not be imported: ${(error as Error).message}`,
        {
          cause: error,
          field: 'plugins',
        },
      );
    }
    const plugin = module.default;
    if (typeof plugin !== 'object' || plugin === null) {
      throw new ChaosplaneError(
        'plugin',
        `plugin ${specifier} has no default export object (use definePlugin)`,
        {
          field: 'plugins',
        },
      );
    }
    const daemon = (plugin as { daemon?: unknown }).daemon;
    if (daemon === undefined) continue;
    const { service, handler } = (daemon ?? {}) as {
      service?: { fullName?: unknown; methods?: unknown };
      handler?: unknown;
    };
    if (
      typeof service !== 'object' ||
      service === null ||
      typeof service.fullName !== 'string' ||
      typeof service.methods !== 'object' ||
      typeof handler !== 'function'
    ) {
      throw new ChaosplaneError(
        'plugin',
        `plugin ${specifier}: daemon must be {service: <ts-proto generic definition>, handler: deps => implementation}`,
        { field: 'plugins' },
      );
    }
    loaded.push({ source: specifier, registration: daemon as DaemonHandlerRegistration });
  }
  return loaded;
}
