import type { Simulator } from '../../simulator/index.js';
import { fixtureLines } from '../helpers/fixtures.js';
import type { Harness, TestClient } from './helpers.js';

/** A Coinbase server message as parsed by the tests; fields beyond `type` depend on the message. */
export interface CoinbaseMessage {
  type: string;
  trade_id?: number;
  sequence?: number;
  maker_order_id?: string;
  taker_order_id?: string;
  time?: string;
  product_id?: string;
  size?: string;
  price?: string;
  side?: string;
  last_trade_id?: number;
  message?: string;
  reason?: string;
  channels?: Array<{ name: string; product_ids: string[] }>;
}

export type CoinbaseClient = TestClient<CoinbaseMessage>;

/** The documented server messages (test/fixtures/coinbase/documented.jsonl), by type; the first of each. */
export const DOCUMENTED: ReadonlyMap<string, Record<string, unknown>> = (() => {
  const byType = new Map<string, Record<string, unknown>>();
  for (const line of fixtureLines('coinbase', 'documented.jsonl')) {
    const message = JSON.parse(line) as Record<string, unknown>;
    // The error line with a reason is the one a failed subscribe gets.
    const key = message.type === 'error' && 'reason' in message ? 'error+reason' : String(message.type);
    if (!byType.has(key)) byType.set(key, message);
  }
  return byType;
})();

/** Client requests from test/fixtures/coinbase/requests.jsonl, in file order. */
export const REQUESTS: readonly string[] = fixtureLines('coinbase', 'requests.jsonl');

/** Each key's JSON type: 'integer' for safe integers, so `trade_id: 9` and `9.5` differ. */
export function shape(message: object): Array<[string, string]> {
  return Object.entries(message).map(([key, value]) => [
    key,
    Number.isSafeInteger(value) ? 'integer' : Array.isArray(value) ? 'array' : typeof value,
  ]);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const DECIMAL = /^\d+\.\d+$/;

export const subscribe = (products: string[], channels: string[] = ['matches']) => ({
  type: 'subscribe',
  product_ids: products,
  channels,
});
export const unsubscribe = (products: string[], channels: string[] = ['matches']) => ({
  type: 'unsubscribe',
  product_ids: products,
  channels,
});

export const isMatch =
  (product?: string) =>
  (m: CoinbaseMessage): boolean =>
    m.type === 'match' && (product === undefined || m.product_id === product);

export const isBeat =
  (product?: string) =>
  (m: CoinbaseMessage): boolean =>
    m.type === 'heartbeat' && (product === undefined || m.product_id === product);

export const isType =
  (type: string) =>
  (m: CoinbaseMessage): boolean =>
    m.type === type;

/** A Coinbase client of `sim`. */
export function coinbase(h: Harness, sim: Simulator): Promise<CoinbaseClient> {
  return h.client<CoinbaseMessage>(sim.coinbaseUrl);
}

/** A Coinbase client subscribed to `products`' matches that has seen `n` matches. */
export async function matching(h: Harness, sim: Simulator, products = ['BTC-USD'], n = 5) {
  const c = await coinbase(h, sim);
  c.send(subscribe(products));
  await c.collect(isMatch(), n, 'matches');
  return c;
}

/** A genuine simulator match: every garbage frame fails at least one of these. */
export function isGoodMatch(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as CoinbaseMessage;
  return (
    m.type === 'match' &&
    Number.isSafeInteger(m.trade_id) &&
    Number.isSafeInteger(m.sequence) &&
    typeof m.maker_order_id === 'string' &&
    UUID.test(m.maker_order_id) &&
    typeof m.taker_order_id === 'string' &&
    UUID.test(m.taker_order_id) &&
    typeof m.time === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(m.time) &&
    (m.product_id === 'BTC-USD' || m.product_id === 'ETH-USD') &&
    DECIMAL.test(m.size ?? '') &&
    Number(m.size) > 0 &&
    DECIMAL.test(m.price ?? '') &&
    Number(m.price) > 0 &&
    (m.side === 'buy' || m.side === 'sell')
  );
}
