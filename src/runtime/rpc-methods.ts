import { z } from 'zod';
import { method, RpcError, RpcErrorCode, type RpcMethod } from '../broker/index.js';
import { SOURCE_ID_PATTERN, SYMBOL_PATTERN } from '../domain/index.js';
import type { TradeStore } from '../pipeline/index.js';
import type { SourceStatus } from './status.js';

/** What the JSON-RPC methods read; the server passes live views. */
export interface RpcContext {
  store: TradeStore;
  sources: () => ReadonlyArray<{ id: string; kind: string; symbols: readonly string[]; alwaysOn: boolean }>;
  statuses: () => Record<string, SourceStatus>;
}

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const recentParams = z
  .strictObject({
    symbol: z.string().regex(SYMBOL_PATTERN, 'a symbol like BTC-USD'),
    source: z.string().regex(SOURCE_ID_PATTERN, 'a source id').optional(),
    count: z.number().int().min(1).max(1000).default(100),
    before: isoTime.optional(),
    after: isoTime.optional(),
  })
  .refine((p) => p.before === undefined || p.after === undefined || p.after < p.before, {
    message: 'after must be earlier than before',
    path: ['after'],
  });

/** The JSON-RPC 2.0 methods of CONTRACT §3. */
export function rpcMethods(ctx: RpcContext): Record<string, RpcMethod> {
  const knownSource = (id: string | undefined) => {
    if (id !== undefined && !ctx.sources().some((s) => s.id === id)) {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, `source: no source "${id}"`);
    }
  };
  return {
    'trades.recent': method(recentParams, (p) => {
      knownSource(p.source);
      return ctx.store.recent(p.symbol, p);
    }),
    'sources.list': method(z.strictObject({}), () =>
      ctx.sources().map((s) => ({ ...s, state: ctx.statuses()[s.id]?.state ?? 'unknown' })),
    ),
    'status.get': method(z.strictObject({ source: z.string().optional() }), (p) => {
      if (p.source === undefined) return ctx.statuses();
      knownSource(p.source);
      return ctx.statuses()[p.source] ?? null;
    }),
  };
}
