import type { TradeEvent } from './events.js';
import { Feed, type Subscriber, TradeIds } from './feed.js';
import { Market } from './market.js';
import { formatTimestamp } from './protocol.js';

export type { Subscriber } from './feed.js';

/** Milliseconds since the epoch, with sub-millisecond precision. */
export type Clock = () => number;

export const systemClock: Clock = () => performance.timeOrigin + performance.now();

/** Shaped like the real API's numeric ids; tests pass it as `firstTradeId` to get known ids. */
export const FIRST_TRADE_ID = 12_884_901_889;

/** Blockchain.com's venue heartbeat period. */
export const VENUE_HEARTBEAT_MS = 5000;
/** Coinbase's per-product heartbeat period. */
export const PRODUCT_HEARTBEAT_MS = 1000;

/**
 * Where each product's sequence starts, above the first trade id: Coinbase's sequences run far
 * ahead of its trade ids (they count every order-book message), and ours should not look alike.
 */
export const SEQUENCE_LEAD = 10_000_000_000;

const MIN_TICK_MS = 10;
// Slow rates tick less often, but not so rarely that the first trade after a subscribe lags.
const MAX_TICK_MS = 100;

/**
 * A market channel as the exchange serves it, whatever the dialect that asked: a symbol's trades,
 * the venue's heartbeat (no symbol: Blockchain.com) or a product's heartbeat (Coinbase).
 */
export type MarketChannel =
  | { readonly channel: 'trades'; readonly symbol: string }
  | { readonly channel: 'heartbeat'; readonly symbol?: string | undefined };

export interface ExchangeOptions {
  readonly symbols: readonly string[];
  /** Trades per second per symbol. */
  readonly rate: number;
  readonly seed: number;
  /** The venue heartbeat's period. Default VENUE_HEARTBEAT_MS. */
  readonly heartbeatIntervalMs?: number | undefined;
  /** Each product heartbeat's period. Default PRODUCT_HEARTBEAT_MS. */
  readonly productHeartbeatIntervalMs?: number | undefined;
  /**
   * Default: microseconds since the epoch now, unique across restarts. Each product's sequence
   * starts SEQUENCE_LEAD above it, so like the ids it never goes back when the simulator restarts.
   */
  readonly firstTradeId?: number | undefined;
  readonly clock?: Clock;
}

/**
 * The venue: one Feed per offered symbol plus the heartbeat channels. Trades are generated only
 * while a symbol has subscribers, and each trade goes to all of them, whatever their dialect, as
 * the same event.
 */
export class Exchange {
  readonly symbols: ReadonlySet<string>;
  private readonly feeds = new Map<string, Feed>();
  private readonly heartbeats = new Set<Subscriber>();
  private readonly clock: Clock;
  private readonly tickMs: number;
  private ticker: NodeJS.Timeout | undefined;
  /** Clock time until which no trade is generated (the `quiet` fault); 0 when not quiet. */
  private quietUntil = 0;
  private readonly heartbeatTimers: NodeJS.Timeout[];
  private closed = false;

  constructor(options: ExchangeOptions) {
    this.symbols = new Set(options.symbols);
    this.clock = options.clock ?? systemClock;
    this.tickMs = Math.min(Math.max(1000 / options.rate, MIN_TICK_MS), MAX_TICK_MS);
    const first = options.firstTradeId ?? Math.floor(this.clock() * 1000);
    const ids = new TradeIds(first);
    for (const symbol of this.symbols) {
      this.feeds.set(
        symbol,
        new Feed(new Market(symbol, options.seed), options.rate, ids, first + SEQUENCE_LEAD),
      );
    }
    this.heartbeatTimers = [
      setInterval(() => this.beat(), options.heartbeatIntervalMs ?? VENUE_HEARTBEAT_MS).unref(),
      setInterval(
        () => this.beatProducts(),
        options.productHeartbeatIntervalMs ?? PRODUCT_HEARTBEAT_MS,
      ).unref(),
    ];
  }

  /** Idempotent: subscribing twice still delivers each event once. False if already subscribed. */
  subscribe(subscriber: Subscriber, request: MarketChannel): boolean {
    if (request.channel === 'heartbeat') {
      const set = request.symbol === undefined ? this.heartbeats : this.feed(request.symbol).heartbeats;
      const added = !set.has(subscriber);
      set.add(subscriber);
      return added;
    }
    const feed = this.feed(request.symbol);
    if (feed.subscribers.has(subscriber)) return false;
    if (!feed.active) feed.start(this.clock());
    feed.subscribers.add(subscriber);
    this.updateTicker();
    return true;
  }

  /** False when the subscriber was not subscribed to that channel/symbol. */
  unsubscribe(subscriber: Subscriber, request: MarketChannel): boolean {
    if (request.channel === 'heartbeat') {
      if (request.symbol === undefined) return this.heartbeats.delete(subscriber);
      return this.feed(request.symbol).heartbeats.delete(subscriber);
    }
    const removed = this.feed(request.symbol).subscribers.delete(subscriber);
    this.updateTicker();
    return removed;
  }

  /** `trades:SYMBOL`, `heartbeat` and `heartbeat:SYMBOL` entries the subscriber holds. */
  subscriptionsOf(subscriber: Subscriber): string[] {
    const held = [...this.feeds.values()]
      .filter((feed) => feed.subscribers.has(subscriber))
      .map((feed) => `trades:${feed.symbol}`);
    if (this.heartbeats.has(subscriber)) held.push('heartbeat');
    for (const feed of this.feeds.values()) {
      if (feed.heartbeats.has(subscriber)) held.push(`heartbeat:${feed.symbol}`);
    }
    return held;
  }

  /** The symbols whose trades, or whose product heartbeat, the subscriber holds, in offered order. */
  symbolsOf(subscriber: Subscriber, channel: 'trades' | 'heartbeat'): string[] {
    return [...this.feeds.values()]
      .filter((feed) => (channel === 'trades' ? feed.subscribers : feed.heartbeats).has(subscriber))
      .map((feed) => feed.symbol);
  }

  /** The last `count` trades of `symbol` written to some connection, oldest first. */
  recentTrades(symbol: string, count: number): TradeEvent[] {
    return this.feed(symbol).history.last(count);
  }

  /** The newest trade of `symbol`, if it has had one. */
  lastTrade(symbol: string): TradeEvent | undefined {
    return this.feed(symbol).last;
  }

  /** Forgets a subscriber entirely (its connection closed). */
  drop(subscriber: Subscriber): void {
    this.heartbeats.delete(subscriber);
    for (const feed of this.feeds.values()) {
      feed.subscribers.delete(subscriber);
      feed.heartbeats.delete(subscriber);
    }
    this.updateTicker();
  }

  /**
   * Generates no trade for `ms` (0 ends a pause now); heartbeats and answers go on. The schedule
   * restarts afterwards, so the pause is not made up with a burst.
   */
  quiet(ms: number): void {
    this.quietUntil = this.clock() + ms;
  }

  /** Epoch ms until which the market is quiet, or undefined. */
  get quietUntilMs(): number | undefined {
    return this.quietUntil > this.clock() ? this.quietUntil : undefined;
  }

  /** Stops every timer; subscribers are left to their owners. */
  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    for (const timer of this.heartbeatTimers) clearInterval(timer);
    this.ticker = undefined;
  }

  private feed(symbol: string): Feed {
    const feed = this.feeds.get(symbol);
    if (feed === undefined) throw new Error(`Symbol ${symbol} is not offered`);
    return feed;
  }

  private updateTicker(): void {
    const active = [...this.feeds.values()].some((feed) => feed.active);
    if (active && this.ticker === undefined && !this.closed) {
      this.ticker = setInterval(() => this.tick(), this.tickMs).unref();
    } else if (!active && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private tick(): void {
    const now = this.clock();
    if (this.quietUntil !== 0) {
      if (now < this.quietUntil) return;
      this.quietUntil = 0;
      for (const feed of this.feeds.values()) feed.start(now);
    }
    for (const feed of this.feeds.values()) if (feed.active) feed.tick(now);
  }

  private beat(): void {
    if (this.heartbeats.size === 0) return;
    const beat = { symbol: undefined, timestamp: formatTimestamp(this.clock() * 1000) };
    for (const subscriber of this.heartbeats) subscriber.sendHeartbeat(beat);
  }

  private beatProducts(): void {
    const timestamp = formatTimestamp(this.clock() * 1000);
    for (const feed of this.feeds.values()) feed.beat(timestamp);
  }
}
