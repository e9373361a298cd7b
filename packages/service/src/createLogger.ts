// SPDX-License-Identifier: Apache-2.0
// The SDK's Logger, backed by winston in the operator, the daemon and the CLI.
import type { Logger } from '@chaosplane/sdk';
import winston from 'winston';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level; defaults to `LOG_LEVEL` or `info`. */
  level?: string;
  /** Component name written on every line (`operator`, `daemon`, …). */
  component?: string;
  /**
   * `json` for machines, `pretty` for people. Defaults to `pretty` when stdout is a
   * terminal and `json` otherwise (`LOG_FORMAT` overrides).
   */
  format?: 'json' | 'pretty';
  /** Discard everything (tests). */
  silent?: boolean;
  /** Where lines go; defaults to stdout. */
  stream?: NodeJS.WritableStream;
}

const pretty = winston.format.printf(info => {
  const { level, message, timestamp, component, ...rest } = info;
  const context = Object.entries(rest)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const who = typeof component === 'string' ? ` [${component}]` : '';
  return `${String(timestamp)} ${level}${who} ${String(message)}${context ? ` ${context}` : ''}`;
});

/**
 * Creates the process logger: JSON lines when stdout is not a terminal (production, CI),
 * readable coloured lines when it is.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envFormat = process.env['LOG_FORMAT'];
  const format =
    options.format ??
    (envFormat === 'json' || envFormat === 'pretty' ? envFormat : process.stdout.isTTY ? 'pretty' : 'json');
  const stream = options.stream ?? process.stdout;
  return winston.createLogger({
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: options.component ? { component: options.component } : {},
    format:
      format === 'json'
        ? winston.format.combine(
            winston.format.timestamp(),
            winston.format.errors({ stack: true }),
            winston.format.json(),
          )
        : winston.format.combine(
            winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
            winston.format.errors({ stack: false }),
            // Colours only for a terminal: piped output stays plain text.
            ...((stream as { isTTY?: boolean }).isTTY === true ? [winston.format.colorize()] : []),
            pretty,
          ),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that writes nothing: the default of libraries when no logger is given. */
export function createSilentLogger(): Logger {
  const silent: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => silent,
  };
  return silent;
}

/** The context a chaos-scoped child logger carries. */
export interface ChaosLogContext {
  /** Kind of the chaos object (`HelloWorldChaos`). */
  kind?: string;
  /** Namespace of the chaos object. */
  namespace?: string;
  /** Name of the chaos object. */
  name?: string;
  /** Record id (`ns/pod/container`). */
  record?: string;
}

/** A child logger whose every line names the chaos object and, when given, the record. */
export function chaosLogger(parent: Logger, context: ChaosLogContext): Logger {
  const meta: Record<string, string> = {};
  if (context.kind) meta['chaosKind'] = context.kind;
  if (context.namespace !== undefined && context.name !== undefined) {
    meta['chaos'] = `${context.namespace}/${context.name}`;
  }
  if (context.record) meta['record'] = context.record;
  return parent.child(meta);
}
