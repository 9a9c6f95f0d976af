import type { HeartbeatEvent, TradeEvent } from '../events.js';
import { mulberry32 } from '../market.js';

/**
 * The Coinbase Exchange public WebSocket feed (wss://ws-feed.exchange.coinbase.com), channels
 * `matches` and `heartbeat`, server side: parsing client requests and building messages, with the
 * key order of the documented samples (test/fixtures/coinbase/documented.jsonl).
 */
export type CoinbaseChannel = 'matches' | 'heartbeat';
export const COINBASE_CHANNELS: readonly CoinbaseChannel[] = ['matches', 'heartbeat'];

export interface CoinbaseRequest {
  readonly type: 'subscribe' | 'unsubscribe';
  /** Per channel, the products named; undefined (unsubscribe only) means all of that channel's. */
  readonly channels: ReadonlyMap<CoinbaseChannel, readonly string[] | undefined>;
}

/** Why a request failed: the `reason` of the error message. */
export interface CoinbaseFailure {
  readonly type: string;
  readonly reason: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Parses one client frame; anything it cannot serve comes back as a failure with its reason. */
export function parseCoinbaseRequest(
  text: string,
  offered: ReadonlySet<string>,
): CoinbaseRequest | CoinbaseFailure {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { type: 'subscribe', reason: 'Malformed JSON' };
  }
  if (!isObject(value)) return { type: 'subscribe', reason: 'Request must be a JSON object' };
  const { type } = value;
  const fail = (reason: string): CoinbaseFailure => ({
    type: type === 'unsubscribe' ? 'unsubscribe' : 'subscribe',
    reason,
  });
  if (type === undefined) return fail('Missing "type": expected "subscribe" or "unsubscribe"');
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    return fail(`Unknown type ${JSON.stringify(type)}: expected "subscribe" or "unsubscribe"`);
  }
  const shared = value.product_ids;
  if (shared !== undefined && !isStringArray(shared)) {
    return fail('"product_ids" must be an array of strings');
  }
  if (!Array.isArray(value.channels) || value.channels.length === 0) {
    return fail('"channels" must be a non-empty array');
  }
  const channels = new Map<CoinbaseChannel, string[] | undefined>();
  for (const entry of value.channels as unknown[]) {
    const name = isObject(entry) ? entry.name : entry;
    const own = isObject(entry) ? entry.product_ids : undefined;
    if (typeof name !== 'string') return fail('each channel must be a name or {"name","product_ids"}');
    if (!(COINBASE_CHANNELS as readonly string[]).includes(name)) {
      return fail(`${name} is not a valid channel: offered are matches, heartbeat`);
    }
    if (own !== undefined && !isStringArray(own)) return fail(`"product_ids" of ${name} must be strings`);
    const products = own ?? shared;
    if (type === 'subscribe' && (products === undefined || products.length === 0)) {
      return fail(`No product ids for channel ${name}`);
    }
    const unknown = products?.find((p) => !offered.has(p));
    if (unknown !== undefined) return fail(`${unknown} is not a valid product`);
    const channel = name as CoinbaseChannel;
    // A channel named twice gets the union; "all products" (undefined) absorbs any list.
    const before = channels.has(channel) ? channels.get(channel) : [];
    channels.set(channel, before && products ? [...new Set([...before, ...products])] : undefined);
  }
  return { type, channels };
}

export function isFailure(parsed: CoinbaseRequest | CoinbaseFailure): parsed is CoinbaseFailure {
  return 'reason' in parsed;
}

/** The documented answer to a failed request (fixtures: `"message":"Failed to subscribe"`). */
export function errorMessage(type: string, reason: string): string {
  return JSON.stringify({ type: 'error', message: `Failed to ${type}`, reason });
}

/**
 * A throttled connection's error. The venue documents the reason (`ErrSlowRead`: "the client is
 * sending too many messages", one of those it disconnects a client for), not the message's text.
 */
export const THROTTLED_MESSAGE = JSON.stringify({
  type: 'error',
  message: 'ErrSlowRead',
  reason: 'The client is sending too many messages',
});

/** The full list of what the connection now holds, as sent after every (un)subscribe. */
export function subscriptionsMessage(held: ReadonlyMap<CoinbaseChannel, readonly string[]>): string {
  const channels = [...held]
    .filter(([, products]) => products.length > 0)
    .map(([name, products]) => ({ name, product_ids: products }));
  return JSON.stringify({ type: 'subscriptions', channels });
}

/**
 * A UUID-shaped order id derived from the trade id, so every connection sees the same one.
 * Version 4 and variant bits set, as in the documented samples.
 */
export function orderId(tradeId: number, role: 'maker' | 'taker'): string {
  const random = mulberry32(
    (tradeId % 0x1_0000_0000) ^
      Math.floor(tradeId / 0x1_0000_0000) ^
      (role === 'maker' ? 0x5bd1e995 : 0x1b873593),
  );
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A `match` (or `last_match`). `side` is the MAKER's: the opposite of the aggressor's side that
 * the market (and Blockchain.com) reports. `sequence` is the product's, the same on every connection.
 */
export function matchMessage(trade: TradeEvent, type: 'match' | 'last_match'): string {
  const tradeId = Number(trade.tradeId);
  return JSON.stringify({
    type,
    trade_id: tradeId,
    sequence: trade.sequence,
    maker_order_id: orderId(tradeId, 'maker'),
    taker_order_id: orderId(tradeId, 'taker'),
    time: trade.timestamp,
    product_id: trade.symbol,
    // Decimal strings at the precision the market rounds to: never an exponent.
    size: trade.qty.toFixed(8),
    price: trade.price.toFixed(2),
    side: trade.side === 'buy' ? 'sell' : 'buy',
  });
}

export function heartbeatMessage(beat: Extract<HeartbeatEvent, { symbol: string }>): string {
  return JSON.stringify({
    type: 'heartbeat',
    sequence: beat.sequence,
    last_trade_id: beat.lastTradeId,
    product_id: beat.symbol,
    time: beat.timestamp,
  });
}

const TIME = '"time":"2024-01-15T10:30:45.000000Z"';

/**
 * Malformed Coinbase-shaped frames for the `garbage` fault: the kinds of the fixture's bad.jsonl
 * and more. None is a valid match or heartbeat, and none is an `error`, which a client may act on.
 */
export const COINBASE_GARBAGE: readonly string[] = [
  'this is not JSON',
  '{"type":"match","trade_id":1,"sequence":1,"product_id":"BTC-USD","si',
  `{"type":"match","trade_id":"ten","sequence":50,${TIME},"product_id":"BTC-USD","size":"5.2","price":"400.23","side":"sell"}`,
  `{"type":"match","trade_id":11,"sequence":51,${TIME},"product_id":"BTC-USD","size":"lots","price":"400.23","side":"sell"}`,
  `{"type":"match","trade_id":12,"sequence":52,${TIME},"product_id":"BTC-USD","size":"1","price":"-5","side":"sell"}`,
  '{"type":"match","trade_id":13,"sequence":53,"product_id":"BTC-USD","size":"1","price":"400","side":"sell"}',
  `{"type":"match","trade_id":14,"sequence":54,${TIME},"product_id":"BTC-USD","size":"1","price":"400","side":"both"}`,
  `{"type":"match","trade_id":15,"sequence":55,${TIME},"product_id":"BTC-USD","size":1,"price":400,"side":"buy"}`,
  `{"type":"match","trade_id":16,"sequence":56,"time":"not a time","product_id":"BTC-USD","size":"1","price":"400","side":"buy"}`,
  `{"type":"match","trade_id":17,"sequence":57,${TIME},"product_id":42,"size":"1","price":"1e400","side":"buy"}`,
  '{"type":"heartbeat","sequence":"x","last_trade_id":null,"product_id":"BTC-USD"}',
  '{"type":"received","order_id":"x","sequence":58,"product_id":"BTC-USD"}',
  '{"no_type":true}',
  '["match"]',
  'null',
  '42',
  '',
];
