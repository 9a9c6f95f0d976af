import type { Side } from '../src/domain/index.js';

/**
 * The Blockchain.com Exchange WebSocket dialect, server side (CONTRACT §6).
 *
 * Messages are built once as a "body" (the JSON text after the opening brace, without seqnum)
 * and framed per connection, because a trade fans out to many connections that each number it.
 */
export type Body = string;

export type Channel = 'trades' | 'heartbeat' | 'auth';
export type Action = 'subscribe' | 'unsubscribe';

export type TradesRequest = { readonly action: Action; readonly channel: 'trades'; readonly symbol: string };
export type HeartbeatRequest = { readonly action: Action; readonly channel: 'heartbeat' };
/** The token is checked in parsing and then forgotten: no secret is kept or logged. */
export type AuthRequest = { readonly action: Action; readonly channel: 'auth' };
/** What the exchange serves; `auth` is answered by the connection alone. */
export type MarketRequest = TradesRequest | HeartbeatRequest;
export type Request = MarketRequest | AuthRequest;

/** Why a request was refused, with the channel and symbol it named so the client can match it. */
export interface Rejection {
  readonly text: string;
  readonly channel?: string;
  readonly symbol?: string;
}

export interface WireTrade {
  readonly symbol: string;
  readonly timestamp: string;
  readonly side: Side;
  readonly qty: number;
  readonly price: number;
  readonly tradeId: string;
}

const ACTIONS: readonly string[] = ['subscribe', 'unsubscribe'];
const CHANNELS: readonly string[] = ['trades', 'heartbeat', 'auth'];
const EXPECTED_CHANNELS = 'expected "trades", "heartbeat" or "auth"';
/** The real API's answer to a bad token (fixtures/blockchain-com/documented.jsonl). */
export const AUTH_FAILED = 'Authentication Failed';

/** Parses one client frame; anything it cannot serve comes back as a Rejection. */
export function parseRequest(text: string, offered: ReadonlySet<string>): Request | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { text: 'Request is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { text: 'Request must be a JSON object' };
  }
  const req = value as Record<string, unknown>;
  const channel = typeof req.channel === 'string' ? req.channel : undefined;
  const symbol = typeof req.symbol === 'string' ? req.symbol : undefined;
  const named = {
    ...(channel === undefined ? {} : { channel }),
    ...(symbol === undefined ? {} : { symbol }),
  };
  const reject = (reason: string): Rejection => ({ ...named, text: reason });

  if (req.action === undefined) return reject('Missing "action": expected "subscribe" or "unsubscribe"');
  if (typeof req.action !== 'string' || !ACTIONS.includes(req.action)) {
    return reject(`Unknown action ${JSON.stringify(req.action)}: expected "subscribe" or "unsubscribe"`);
  }
  const action = req.action as Action;
  if (req.channel === undefined) return reject(`Missing "channel": ${EXPECTED_CHANNELS}`);
  if (channel === undefined || !CHANNELS.includes(channel)) {
    return reject(`Unknown channel ${JSON.stringify(req.channel)}: ${EXPECTED_CHANNELS}`);
  }
  if (channel === 'heartbeat') return { action, channel };
  if (channel === 'auth') {
    const token = req.token;
    if (action === 'subscribe' && (typeof token !== 'string' || token === '')) {
      return { channel, text: AUTH_FAILED };
    }
    return { action, channel };
  }
  if (req.symbol === undefined) return reject('Missing "symbol": the trades channel needs one');
  if (symbol === undefined) return reject('"symbol" must be a string such as "BTC-USD"');
  if (!offered.has(symbol)) {
    return reject(`Unknown symbol ${JSON.stringify(symbol)}: offered are ${[...offered].join(', ')}`);
  }
  return { action, channel: 'trades', symbol };
}

export function isRejection(parsed: Request | Rejection): parsed is Rejection {
  return 'text' in parsed;
}

/** Prefixes the connection's seqnum, so it is the first key as on the real wire. */
export function frame(seqnum: number, body: Body): string {
  return `{"seqnum":${seqnum},${body}`;
}

function body(message: object): Body {
  return JSON.stringify(message).slice(1);
}

export function ackBody(event: 'subscribed' | 'unsubscribed', request: Request): Body {
  return request.channel === 'trades'
    ? body({ event, channel: request.channel, symbol: request.symbol })
    : body({ event, channel: request.channel });
}

export function rejectedBody(rejection: Rejection): Body {
  const { text, channel, symbol } = rejection;
  return body({ event: 'rejected', channel, symbol, text });
}

/**
 * Blockchain.com's answer to a throttled connection, exactly as the venue sends it (no seqnum, no
 * symbol): it refuses the connection as a whole, whose later messages are then ignored.
 */
export const THROTTLED_FRAME =
  '{"event":"rejected","text":"Connection throttling enabled, your messages will be ignored."}';

export function notSubscribed(request: Request): Rejection {
  return request.channel === 'trades'
    ? {
        channel: 'trades',
        symbol: request.symbol,
        text: `Not subscribed to channel: trades ${request.symbol}`,
      }
    : { channel: request.channel, text: `Not subscribed to channel: ${request.channel}` };
}

export function heartbeatBody(timestamp: string): Body {
  return body({ event: 'updated', channel: 'heartbeat', timestamp });
}

/** Key order as on the real wire (see the documented fixtures). */
export function tradeBody(t: WireTrade): Body {
  return body({
    event: 'updated',
    channel: 'trades',
    symbol: t.symbol,
    timestamp: t.timestamp,
    side: t.side,
    qty: t.qty,
    price: t.price,
    trade_id: t.tradeId,
  });
}

/** ISO-8601 UTC with exactly six fractional digits, like the real API. */
export function formatTimestamp(epochMicros: number): string {
  const micros = Math.floor(epochMicros);
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString();
  return `${iso.slice(0, -1)}${String(micros - millis * 1000).padStart(3, '0')}Z`;
}
