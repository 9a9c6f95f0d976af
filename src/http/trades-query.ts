import { z } from 'zod';
import { SOURCE_ID_PATTERN, SYMBOL_PATTERN } from '../domain/index.js';
import type { RecentOptions } from '../pipeline/index.js';

/** Query parameters of `GET /api/trades`; each may appear once. */
const PARAMETERS = ['symbol', 'source', 'count', 'before', 'after'] as const;

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'required' : what),
});

/**
 * The rules of JSON-RPC `trades.recent` (src/runtime/rpc-methods.ts), for query-string text:
 * count an integer 1–1000 (default 100), before/after ISO 8601 times with an offset, after < before.
 */
const tradesQuery = z
  .strictObject({
    symbol: z.string(required('a symbol like BTC-USD')).regex(SYMBOL_PATTERN, 'a symbol like BTC-USD'),
    source: z.string().regex(SOURCE_ID_PATTERN, 'a source id').optional(),
    count: z
      .string()
      .regex(/^[0-9]{1,7}$/, 'an integer from 1 to 1000')
      .transform(Number)
      .pipe(z.number().int().min(1, 'an integer from 1 to 1000').max(1000, 'an integer from 1 to 1000'))
      .default(100),
    before: isoTime.optional(),
    after: isoTime.optional(),
  })
  .refine((p) => p.before === undefined || p.after === undefined || p.after < p.before, {
    message: 'after must be earlier than before',
    path: ['after'],
  });

export type TradesQuery = RecentOptions & { symbol: string; count: number };

export type QueryResult = { ok: true; query: TradesQuery } | { ok: false; parameter: string; error: string };

/** Validates `?symbol=…` etc.; a refusal names the one parameter that is wrong. */
export function parseTradesQuery(params: URLSearchParams): QueryResult {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (!(PARAMETERS as readonly string[]).includes(key)) {
      return {
        ok: false,
        parameter: key,
        error: `${key}: unknown parameter (known: ${PARAMETERS.join(', ')})`,
      };
    }
    if (key in raw) return { ok: false, parameter: key, error: `${key}: given more than once` };
    raw[key] = value;
  }
  const result = tradesQuery.safeParse(raw);
  if (result.success) return { ok: true, query: result.data };
  const issue = result.error.issues[0];
  const parameter = String(issue?.path[0] ?? 'query');
  return { ok: false, parameter, error: `${parameter}: ${issue?.message ?? 'invalid'}` };
}
