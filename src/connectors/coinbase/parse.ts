import { isSymbol, type Trade } from '../../domain/index.js';
import { isoNow } from '../clock.js';
import type { FrameSink } from '../dialect.js';
import { parseObjectFrame } from '../json.js';
import { SubscriptionTracker } from './subscriptions.js';

/** RFC 3339 in UTC as Coinbase prints it (microseconds), any count of fractional digits accepted. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** `price` and `size` are decimal strings; no sign, no spaces, no hex, no "Infinity". */
const DECIMAL = /^\d+(\.\d+)?([eE][+-]?\d+)?$/;

type Json = Record<string, unknown>;

/**
 * The errors that refuse the connection itself (Coinbase Exchange WebSocket errors: the reasons it
 * disconnects a client for: too many backed-up messages, too many messages sent, a message too big).
 */
const CONNECTION_WIDE = /\b(ErrSlowConsume|ErrSlowRead|Message too big)\b/;

/** What one product's trades have shown so far on this connection, since it was (re)subscribed. */
interface ProductState {
  /** Highest `sequence` seen on a trade (and on a heartbeat, when gaps come from `sequence`). */
  sequence: number;
  /** Highest `trade_id` seen on a trade. */
  tradeId: number;
}

/**
 * What reveals a lost message, besides a heartbeat whose `last_trade_id` is past the last trade
 * seen (which holds on every feed):
 * - `heartbeat`: nothing else. Safe on any feed; sees a loss only when no later trade of the
 *   product arrives before the next heartbeat.
 * - `trade_id`: also a jump in a product's trade ids, which run one by one per product on the real
 *   venue (not on a feed whose ids are venue-wide: interleaved products would look like losses).
 * - `sequence`: also a jump in a product's `sequence`, over trades and heartbeats: for a feed that
 *   numbers every message it sends (the `full` channel, or a simulator). NOT the real
 *   `matches` channel: there `sequence` counts the product's whole order-book stream (received,
 *   open, done, ...), so consecutive matches jump by design, and a quiet product's heartbeats repeat
 *   one number (coinbase/coinbase-pro-node#227).
 */
export type GapSignal = 'heartbeat' | 'trade_id' | 'sequence';

export interface CoinbaseOptions {
  /** Default `heartbeat`: a false gap costs a reconnect, and a reconnect recovers no trade here. */
  gapsFrom?: GapSignal;
}

/**
 * Parser for one connection of the "coinbase" dialect (public `matches` and `heartbeat` channels).
 * `sequence` is per product, not per connection: on a trade, a repeat or a step back is a duplicate.
 *
 * Checked by hand rather than with zod, like the blockchain parser: it runs once per trade.
 */
export class CoinbaseParser {
  readonly subscriptions = new SubscriptionTracker();
  // A Map, not an object: product ids come from upstream, and `__proto__` is a valid symbol.
  private readonly products = new Map<string, ProductState>();
  private readonly gapsFrom: GapSignal;

  constructor(
    private readonly sourceId: string,
    private readonly sink: FrameSink,
    /** Clock for `receivedAt` (tests inject one); by default the shared per-millisecond one. */
    private readonly now: (() => Date) | undefined = undefined,
    options: CoinbaseOptions = {},
    /** The topic symbol for a venue product id (identity unless the source maps symbols). */
    private readonly toTopic: (product: string) => string = (p) => p,
  ) {
    this.gapsFrom = options.gapsFrom ?? 'heartbeat';
  }

  parse(frame: string): void {
    const m = parseObjectFrame(frame, this.sink);
    if (m === null) return;
    switch (m.type) {
      case 'match':
      case 'last_match':
        // `last_match` is the product's latest trade from BEFORE the subscription: delivered like
        // any other, the pipeline's dedup drops it when a previous connection already saw it.
        this.match(m, frame);
        return;
      case 'heartbeat':
        this.heartbeat(m, frame);
        return;
      case 'subscriptions':
        this.acknowledge(m, frame);
        return;
      case 'error':
        this.reject(m);
        return;
      default:
        // Other types are ignored: "New message types can be added at any time. Clients are
        // expected to ignore messages they do not support." (Coinbase Exchange WebSocket overview)
        // A message without a type is not one of them.
        if (typeof m.type !== 'string') this.sink.bad('missing_type', frame);
    }
  }

  private match(m: Json, frame: string): void {
    const product = this.product(m, frame);
    if (product === null) return;
    const { sequence, trade_id: id } = m;
    if (!isCounter(sequence)) {
      this.sink.bad('bad_sequence', frame);
      return;
    }
    if (!isCounter(id)) {
      this.sink.bad('bad_trade_id', frame);
      return;
    }

    const state = this.products.get(product);
    if (state === undefined) {
      // The first trade after subscribing (its `last_match`) sets the baseline.
      this.products.set(product, { sequence, tradeId: id });
    } else {
      if (!this.inOrder(state, sequence)) return;
      if (this.gapsFrom === 'trade_id' && id > state.tradeId + 1)
        this.sink.control({ type: 'UPSTREAM.GAP', expected: state.tradeId + 1, received: id });
      // Counted even when the rest of the frame is unusable: the trade is reported as bad, and
      // reporting it again as a gap (a reconnect) would not bring it back.
      state.tradeId = Math.max(state.tradeId, id);
    }

    const problem = tradeProblem(m);
    if (problem !== null) {
      this.sink.bad(problem, frame);
      return;
    }
    const trade: Trade = {
      source: this.sourceId,
      symbol: this.toTopic(product),
      tradeId: String(id),
      price: Number(m.price),
      qty: Number(m.size),
      // Coinbase's `side` is the MAKER's (the resting order): "sell" means the taker bought, an
      // up-tick. The contract's `side` is the aggressor's, so it is the opposite.
      side: m.side === 'sell' ? 'buy' : 'sell',
      timestamp: m.time as string,
      seqnum: sequence,
      receivedAt: this.now ? this.now().toISOString() : isoNow(),
    };
    this.sink.trade(trade);
  }

  private heartbeat(m: Json, frame: string): void {
    const product = this.product(m, frame);
    if (product === null) return;
    const { sequence, last_trade_id: lastTradeId } = m;
    if (!isCounter(sequence)) {
      this.sink.bad('bad_sequence', frame);
      return;
    }
    if (!isCounter(lastTradeId)) {
      this.sink.bad('bad_last_trade_id', frame);
      return;
    }

    // Only a product whose trades we have seen since subscribing can have lost some. A heartbeat
    // never sets that baseline: heartbeats go on for released products, and have been seen to
    // carry 0 (preichenberger/go-coinbasepro#89).
    const state = this.products.get(product);
    if (state === undefined) return;
    if (this.gapsFrom === 'sequence' && !this.inOrder(state, sequence)) return;
    if (lastTradeId > state.tradeId) {
      this.sink.control({ type: 'UPSTREAM.GAP', expected: state.tradeId + 1, received: lastTradeId });
      state.tradeId = lastTradeId;
    }
  }

  private acknowledge(m: Json, frame: string): void {
    if (!Array.isArray(m.channels)) {
      this.sink.bad('bad_subscriptions', frame);
      return;
    }
    const matches: unknown = m.channels.find((c: unknown) => isObject(c) && c.name === 'matches');
    // No `matches` entry at all means no product is subscribed to it any more.
    let list: readonly string[] = [];
    if (matches !== undefined) {
      const ids: unknown = (matches as Json).product_ids;
      if (!Array.isArray(ids)) {
        this.sink.bad('bad_subscriptions', frame);
        return;
      }
      if (!ids.every((id) => typeof id === 'string' && isSymbol(this.toTopic(id)))) {
        this.sink.bad('bad_symbol', frame);
        return;
      }
      list = ids;
    }
    // A product newly subscribed starts afresh: its first message (`last_match`) sets the baseline.
    for (const symbol of list) if (!this.subscriptions.has(symbol)) this.products.delete(symbol);
    const { subscribed, unsubscribed } = this.subscriptions.update(list);
    for (const symbol of unsubscribed) {
      this.products.delete(symbol);
      this.sink.control({ type: 'UPSTREAM.UNSUBSCRIBED', symbol: this.toTopic(symbol) });
    }
    for (const symbol of subscribed)
      this.sink.control({ type: 'UPSTREAM.SUBSCRIBED', symbol: this.toTopic(symbol) });
  }

  private reject(m: Json): void {
    const message = typeof m.message === 'string' ? m.message : '';
    const reason = typeof m.reason === 'string' ? m.reason : '';
    const text = message && reason ? `${message}: ${reason}` : message || reason || 'error without message';
    // The venue sends these as it drops the client: no request of this connection will be answered.
    if (CONNECTION_WIDE.test(text)) {
      this.sink.control({ type: 'UPSTREAM.REJECTED', symbol: null, text });
      return;
    }
    const products = this.subscriptions.rejected(text);
    // Tied to no request (none pending, or several the text does not tell apart): reported as the
    // connection refused, so the connector reconnects rather than wait for answers that may never come.
    if (products.length === 0) this.sink.control({ type: 'UPSTREAM.REJECTED', symbol: null, text });
    for (const product of products) {
      this.sink.control({ type: 'UPSTREAM.REJECTED', symbol: this.toTopic(product), text });
    }
  }

  /** The frame's product id, or null once the frame has been reported as bad. */
  private product(m: Json, frame: string): string | null {
    const product = m.product_id;
    if (typeof product !== 'string' || product === '') {
      this.sink.bad('missing_product_id', frame);
      return null;
    }
    // It becomes a topic level: `BTC/USD` or `#` would publish somewhere else entirely.
    if (!isSymbol(this.toTopic(product))) {
      this.sink.bad('bad_symbol', frame);
      return null;
    }
    return product;
  }

  /** False when the frame is a duplicate (or late) for its product and must be ignored. */
  private inOrder(state: ProductState, sequence: number): boolean {
    if (sequence <= state.sequence) {
      this.sink.duplicate(sequence);
      return false;
    }
    if (this.gapsFrom === 'sequence' && sequence > state.sequence + 1)
      this.sink.control({ type: 'UPSTREAM.GAP', expected: state.sequence + 1, received: sequence });
    state.sequence = sequence;
    return true;
  }
}

/** The reason a match is unusable (a stable metric label), or null when it is good. */
function tradeProblem(m: Json): string | null {
  if (typeof m.time !== 'string' || !TIMESTAMP.test(m.time)) return 'bad_time';
  if (m.side !== 'buy' && m.side !== 'sell') return 'bad_side';
  if (!isPositiveDecimal(m.size)) return 'bad_size';
  if (!isPositiveDecimal(m.price)) return 'bad_price';
  return null;
}

function isPositiveDecimal(x: unknown): x is string {
  if (typeof x !== 'string' || !DECIMAL.test(x)) return false;
  const n = Number(x);
  return Number.isFinite(n) && n > 0;
}

function isCounter(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
