import { z } from 'zod';
import { isTopicFilter } from '../../broker/auth.js';
import { DEFAULT_LIMITS } from '../../broker/broker.js';
import { passwordHashProblem } from '../../broker/password.js';
import { dialects } from '../../connectors/index.js';
import { SOURCE_ID_PATTERN, SOURCE_ID_RULE, SYMBOL_PATTERN, SYMBOL_RULE } from '../../domain/index.js';

const port = z.number().int().min(0).max(65535);

export const backoffSchema = z
  .strictObject({
    initialDelayMs: z.number().int().min(0).default(1000),
    maxDelayMs: z.number().int().min(0).default(30_000),
    multiplier: z.number().min(1).default(2),
    jitter: z.number().min(0).max(1).default(0.2),
    /** Reconnects (each after a backoff wait) before the connector gives up (state `failed`); absent = never. */
    maxAttempts: z.number().int().min(1).optional(),
  })
  .refine((b) => b.maxDelayMs >= b.initialDelayMs, {
    message: 'maxDelayMs must be ≥ initialDelayMs',
    path: ['maxDelayMs'],
  });

/** Symbols look like `BTC-USD`: what topics use, one MQTT topic level. */
const symbol = z.string().regex(SYMBOL_PATTERN, SYMBOL_RULE);

/**
 * `["BTC-USD"]`, or `{"BTC-USD": "XBT/USD"}` to give the venue its own name for a symbol while
 * topics keep one naming. Parsed into `symbols` (topic names) and `venueSymbols` (the renames).
 */
const symbolsSchema = z
  .union([
    z.array(symbol).min(1),
    z
      .record(symbol, z.string().min(1, "the venue's name for a symbol must not be empty"))
      .refine((m) => Object.keys(m).length > 0, 'name at least one symbol')
      .refine(
        (m) => new Set(Object.values(m)).size === Object.keys(m).length,
        'two symbols map to one venue name',
      ),
  ])
  .default(['BTC-USD', 'ETH-USD']);

/** Actor ids of `machines/{actorId}` that are not connectors (a connector's actor id is its source id). */
export const RESERVED_SOURCE_IDS: readonly string[] = ['supervisor', 'subscriptions'];

const sourceObject = z.strictObject({
  id: z
    .string()
    .regex(SOURCE_ID_PATTERN, SOURCE_ID_RULE)
    .refine((id) => !RESERVED_SOURCE_IDS.includes(id), {
      error: (issue) =>
        `"${String(issue.input)}" is reserved (machines/${String(issue.input)} is another actor's topic)`,
    }),
  kind: z
    .string()
    .refine((k) => Object.hasOwn(dialects, k), {
      error: (issue) => `unknown kind "${String(issue.input)}" (known: ${Object.keys(dialects).join(', ')})`,
    })
    .default('blockchain'),
  url: z
    .string()
    .url()
    .refine((u) => /^wss?:\/\//.test(u), 'url must start with ws:// or wss://')
    .default('ws://127.0.0.1:5000/ws'),
  token: z.string().default(''),
  symbols: symbolsSchema,
  alwaysOn: z.boolean().default(false),
  backoff: backoffSchema.default({ initialDelayMs: 1000, maxDelayMs: 30_000, multiplier: 2, jitter: 0.2 }),
  staleAfterMs: z.number().int().min(100).default(15_000),
  ackTimeoutMs: z.number().int().min(100).default(10_000),
  lingerMs: z.number().int().min(0).default(2000),
});

export const sourceSchema = sourceObject.transform(({ symbols, ...rest }) => ({
  ...rest,
  symbols: Array.isArray(symbols) ? symbols : Object.keys(symbols),
  venueSymbols: Array.isArray(symbols)
    ? {}
    : Object.fromEntries(Object.entries(symbols).filter(([t, v]) => t !== v)),
}));

export const configSchema = z.strictObject({
  mqtt: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(1883),
      wsPort: port.default(8083),
      /** Absent: anonymous clients are allowed (CONTRACT §2). */
      auth: z
        .strictObject({
          users: z
            .array(
              z.strictObject({
                username: z.string().min(1),
                passwordHash: z.string().superRefine((hash, ctx) => {
                  const problem = passwordHashProblem(hash);
                  if (problem) ctx.addIssue({ code: 'custom', message: problem });
                }),
                /** MQTT topic filters this user may subscribe within; absent = any. */
                allow: z
                  .array(z.string().refine(isTopicFilter, 'not a valid MQTT topic filter (MQTT-4.7.1)'))
                  .optional(),
              }),
            )
            .min(1, 'list at least one user (without users nobody could connect)')
            .refine((u) => new Set(u.map((x) => x.username)).size === u.length, 'usernames must be unique'),
        })
        .optional(),
      limits: z
        .strictObject({
          maxConnections: z.number().int().min(1).default(DEFAULT_LIMITS.maxConnections),
          maxSubscriptionsPerClient: z
            .number()
            .int()
            .min(1)
            .default(DEFAULT_LIMITS.maxSubscriptionsPerClient),
          maxPacketBytes: z.number().int().min(1024).max(268_435_455).default(DEFAULT_LIMITS.maxPacketBytes),
          maxClientBacklogBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .default(DEFAULT_LIMITS.maxClientBacklogBytes),
          drainTimeoutMs: z.number().int().min(100).default(DEFAULT_LIMITS.drainTimeoutMs),
        })
        .default(() => ({ ...DEFAULT_LIMITS })),
    })
    .default(() => ({ host: '0.0.0.0', port: 1883, wsPort: 8083, limits: { ...DEFAULT_LIMITS } })),
  http: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(8080),
      adminToken: z.string().default(''),
    })
    .default({ host: '0.0.0.0', port: 8080, adminToken: '' }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  store: z
    .strictObject({
      maxTradesPerSymbol: z.number().int().min(1).max(10_000_000).default(10_000),
    })
    .default({ maxTradesPerSymbol: 10_000 }),
  sources: z
    .array(sourceSchema)
    .default(() => [
      sourceSchema.parse({ id: 'blockchain' }),
      // The demo's second venue: the simulator's Coinbase dialect, on the same markets.
      sourceSchema.parse({ id: 'coinbase', kind: 'coinbase', url: 'ws://127.0.0.1:5000/coinbase' }),
    ])
    .refine((s) => new Set(s.map((x) => x.id)).size === s.length, 'source ids must be unique'),
});

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type BackoffConfig = z.infer<typeof backoffSchema>;
export type LogLevel = Config['log']['level'];
