import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

export type { Logger };

/** `json`: one JSON object a line; `pretty`: readable lines; `auto`: pretty on a terminal. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** Whether `format` writes readable lines to this process's standard output. */
export const isPretty = (format: LogFormat): boolean =>
  format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);

/** Creates the process's root logger; modules take children of it. */
export function createRootLogger(level: string, format: LogFormat = 'json'): Logger {
  const options = {
    level,
    base: { service: 'earshot' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!isPretty(format)) return pino(options);
  return pino(
    options,
    PinoPretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,service',
      singleLine: true,
      sync: true,
    }),
  );
}

/**
 * The part of a logger that media code uses: a pino logger in the main thread, or one that
 * hands its records to the main thread from a media thread.
 */
export interface MediaLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(bindings: Record<string, unknown>): MediaLog;
}
