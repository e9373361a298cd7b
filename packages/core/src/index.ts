// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/core: the API model and schemas, the plugin contract, DI tokens, the reconcile
 * engine, the daemon client pool and CRD generation.
 * @packageDocumentation
 */
export { ChaosplaneError, type ChaosplaneErrorKind } from './errors/ChaosplaneError.js';
export {
  createLogger,
  createSilentLogger,
  chaosLogger,
  type Logger,
  type LoggerOptions,
  type ChaosLogContext,
} from './logging/createLogger.js';
