// SPDX-License-Identifier: Apache-2.0

/**
 * The logger plugins and the framework write to. The operator and the daemon back it with
 * winston; tests with a silent or capturing implementation. `child` adds fields to every line.
 */
export interface Logger {
  /** Detail for whoever debugs: off unless the level is debug. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** What happened: an apply, a recover, a daemon call. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and is retried or worked around. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and needs a person. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `fields`. */
  child(fields: Record<string, unknown>): Logger;
}
