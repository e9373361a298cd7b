// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError, importPluginModule } from '@chaosplane/core';

import type { DaemonHandlerRegistration } from './DaemonPlugin.js';

/** A plugin's daemon half, with where it came from. */
export interface LoadedDaemonPlugin {
  /** The package name or file it was loaded from. */
  source: string;
  registration: DaemonHandlerRegistration;
}

/**
 * Imports plugin modules (package names resolved from `baseDir`, the current directory by
 * default, or paths to .js files; core's `importPluginModule`) and returns their daemon halves. A module's default export must be an object; one without a `daemon` field is a
 * controller-only plugin and is skipped. A `daemon` field must hold `{service, handler}`.
 */
export async function loadDaemonPlugins(
  specifiers: readonly string[],
  options: { baseDir?: string } = {},
): Promise<LoadedDaemonPlugin[]> {
  const loaded: LoadedDaemonPlugin[] = [];
  for (const specifier of specifiers) {
    const plugin = await importPluginModule(
      specifier,
      options.baseDir !== undefined ? { from: options.baseDir } : {},
    );
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
