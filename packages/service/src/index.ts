// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/service: what the operator and the daemon both run on. The winston-backed
 * logger, the health and metrics HTTP server, and plugin loading by package name or path.
 * @packageDocumentation
 */
export {
  createLogger,
  createSilentLogger,
  chaosLogger,
  type LoggerOptions,
  type ChaosLogContext,
} from './createLogger.js';
export {
  startHealthServer,
  parseHostPort,
  type HealthServer,
  type HealthSources,
  type MetricsSource,
} from './startHealthServer.js';
export { loadPlugins, importPluginModule, type LoadPluginsOptions } from './loadPlugins.js';
