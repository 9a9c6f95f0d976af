import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config/index.js';

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; the default when stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout); tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
}

/** The one root logger; everything else takes a child of it. */
export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (usePretty) {
    return pino(
      { level: options.level },
      pretty({
        colorize: process.stdout.isTTY === true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname',
        sync: true,
      }),
    );
  }
  return options.destination
    ? pino({ level: options.level }, options.destination)
    : pino({ level: options.level });
}
