import type { Logger } from 'pino';
import { z } from 'zod';
import { DataServerError } from '../src/domain/index.js';
import { DIALECT_NAMES, type DialectName } from './dialects/dialect.js';

export interface SimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 5000. */
  port?: number;
  /** Trades per second, per symbol. Default 5. */
  rate?: number;
  /** Seed of the random walks: the same seed gives the same prices, sizes, sides and ids. Default 1. */
  seed?: number;
  /** Symbols offered. Default `['BTC-USD', 'ETH-USD']`. */
  symbols?: string[];
  /**
   * Id of the first trade. Default: microseconds since the epoch at start, so a restarted
   * simulator never reuses an id of an earlier run (a real venue's ids are unique forever, and
   * DataServer's dedup would rightly drop a reused one).
   */
  firstTradeId?: number;
  /**
   * Heartbeat period, in every dialect. Default: each venue's own, 5000 for Blockchain.com's
   * heartbeat channel and 1000 for Coinbase's per-product heartbeats.
   */
  heartbeatIntervalMs?: number;
  /** Dialects served: Blockchain.com at `/ws` (and the real API's path), Coinbase at `/coinbase`. Default both. */
  dialects?: DialectName[];
  /** A Coinbase connection that has not subscribed this long after opening is closed. Default 5000. */
  subscribeTimeoutMs?: number;
  /** Keep a log of every trade written to a socket, read with `sent()`. Default false. */
  recordSent?: boolean;
  /** Without one, nothing is logged. */
  logger?: Logger;
}

// Node timers overflow above this and silently fire after 1 ms instead.
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * Ids and sequences must stay safe integers (Coinbase sends them as JSON numbers): this leaves
 * room for 2^41 more, over a century at 500 trades a second.
 */
const MAX_FIRST_TRADE_ID = Number.MAX_SAFE_INTEGER - 2 ** 41;

const schema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(5000),
  rate: z.number().positive().default(5),
  seed: z.number().int().default(1),
  symbols: z
    .array(z.string().regex(/^\S+$/, 'must be a non-empty symbol without spaces'))
    .min(1)
    .refine((symbols) => new Set(symbols).size === symbols.length, 'must not repeat a symbol')
    .default(['BTC-USD', 'ETH-USD']),
  heartbeatIntervalMs: z.number().min(1).max(MAX_TIMER_MS).optional(),
  dialects: z
    .array(z.enum(DIALECT_NAMES))
    .min(1)
    .refine((dialects) => new Set(dialects).size === dialects.length, 'must not repeat a dialect')
    .default([...DIALECT_NAMES]),
  subscribeTimeoutMs: z.number().min(1).max(MAX_TIMER_MS).default(5000),
  firstTradeId: z.number().int().positive().max(MAX_FIRST_TRADE_ID).optional(),
  recordSent: z.boolean().default(false),
});

export type ResolvedOptions = Readonly<z.output<typeof schema>> & { readonly logger: Logger | undefined };

/** Applies defaults and validates; throws CONFIG_INVALID naming every bad option. */
export function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const { logger, ...rest } = options;
  const result = schema.safeParse(rest);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      issue.path.length > 0 ? `"${issue.path.join('.')}": ${issue.message}` : issue.message,
    );
    throw new DataServerError('CONFIG_INVALID', `Invalid simulator options: ${problems.join('; ')}`);
  }
  return Object.freeze({ ...result.data, logger });
}
