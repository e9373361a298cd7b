// SPDX-License-Identifier: Apache-2.0
/**
 * Test support for code built on Chaosplane: read back what a logger wrote, wait for
 * eventually consistent state. Import from `@chaosplane/core/testing`.
 * @packageDocumentation
 */
export { captureLogger, type CapturedLine, type CapturedLogger } from './captureLogger.js';
export { eventually, type EventuallyOptions } from './eventually.js';
