import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process's root logger; modules take children of it. */
export function createRootLogger(level: string): Logger {
  return pino({ level, base: { service: 'earshot' }, timestamp: pino.stdTimeFunctions.isoTime });
}
