import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DataServerError } from '../domain/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with strict checking, turning its errors into one USAGE error that names the flag. */
export function parseFlags<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    // Node's message may span lines (with a hint on the next); the CLI prints one line.
    throw new DataServerError('USAGE', (err as Error).message.split('\n').join(' '), { cause: err });
  }
}

/** An integer flag value within bounds, or a USAGE error naming the flag. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DataServerError(
      'USAGE',
      `--${name}: expected an integer from ${min} to ${max}, got "${value}"`,
    );
  }
  return n;
}

/** A positive number flag value, or a USAGE error naming the flag. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new DataServerError('USAGE', `--${name}: expected a positive number, got "${value}"`);
  return n;
}
