import { REPLAY_HISTORY } from './faults.js';
import { Market } from './market.js';
import {
  type Body,
  formatTimestamp,
  heartbeatBody,
  type MarketRequest,
  type TradeEvent,
  tradeBody,
} from './protocol.js';
import { Ring } from './ring.js';

/** Whatever receives market events: a connection, in practice. */
export interface Subscriber {
  send(body: Body): void;
  /** True when the trade was written to the socket (not lost to a stall or a closed socket). */
  sendTrade(trade: TradeEvent, replay?: boolean): boolean;
}

/** Milliseconds since the epoch, with sub-millisecond precision. */
export type Clock = () => number;

export const systemClock: Clock = () => performance.timeOrigin + performance.now();

/** Shaped like the real API's numeric ids; tests pass it as `firstTradeId` to get known ids. */
export const FIRST_TRADE_ID = 12_884_901_889;

const MIN_TICK_MS = 10;
// Slow rates tick less often, but not so rarely that the first trade after a subscribe lags.
const MAX_TICK_MS = 100;

/** Trade ids unique across every symbol and connection for the simulator's life. */
class TradeIds {
  constructor(private next: number) {}

  take(): string {
    return String(this.next++);
  }
}

/** One symbol: its market, the subscribers watching it, and the schedule of its trades. */
class Feed {
  readonly subscribers = new Set<Subscriber>();
  private startedAt = 0;
  private emitted = 0;

  /** The newest trades written to at least one socket, for the `replay` fault. */
  readonly history = new Ring<TradeEvent>(REPLAY_HISTORY);

  constructor(
    private readonly market: Market,
    private readonly rate: number,
    private readonly ids: TradeIds,
  ) {}

  get active(): boolean {
    return this.subscribers.size > 0;
  }

  /** Restarts the schedule; the walk itself carries on from where it stopped. */
  start(now: number): void {
    this.startedAt = now;
    this.emitted = 0;
  }

  /**
   * Emits every trade due by `now`, counted from the start, so the long-run rate is exact
   * whatever the timer resolution.
   */
  tick(now: number): void {
    let due = Math.floor((this.rate * (now - this.startedAt)) / 1000) - this.emitted;
    const maxBurst = Math.max(1, Math.ceil(this.rate));
    if (due > maxBurst) {
      // A stalled event loop should not come back to a flood: forget debt beyond one second.
      this.emitted += due - maxBurst;
      due = maxBurst;
    }
    for (let i = 0; i < due; i++) {
      this.emitted++;
      this.publish(this.startedAt + (this.emitted * 1000) / this.rate);
    }
  }

  private publish(scheduledAt: number): void {
    const { price, qty, side } = this.market.next();
    const symbol = this.market.symbol;
    const tradeId = this.ids.take();
    const body = tradeBody({
      symbol,
      // The trade's scheduled time: evenly spaced even when a tick emits a batch.
      timestamp: formatTimestamp(scheduledAt * 1000),
      side,
      qty,
      price,
      tradeId,
    });
    const trade: TradeEvent = { symbol, tradeId, body };
    let written = false;
    for (const subscriber of this.subscribers) written = subscriber.sendTrade(trade) || written;
    if (written) this.history.push(trade);
  }
}

export interface ExchangeOptions {
  readonly symbols: readonly string[];
  /** Trades per second per symbol. */
  readonly rate: number;
  readonly seed: number;
  readonly heartbeatIntervalMs: number;
  /** Default: microseconds since the epoch now, unique across restarts. */
  readonly firstTradeId?: number | undefined;
  readonly clock?: Clock;
}

/**
 * The venue: one Feed per offered symbol plus the heartbeat channel. Trades are generated only
 * while a symbol has subscribers, and each trade goes to all of them as the same event.
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
  private readonly heartbeatTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: ExchangeOptions) {
    this.symbols = new Set(options.symbols);
    this.clock = options.clock ?? systemClock;
    this.tickMs = Math.min(Math.max(1000 / options.rate, MIN_TICK_MS), MAX_TICK_MS);
    const ids = new TradeIds(options.firstTradeId ?? Math.floor(this.clock() * 1000));
    for (const symbol of this.symbols) {
      this.feeds.set(symbol, new Feed(new Market(symbol, options.seed), options.rate, ids));
    }
    this.heartbeatTimer = setInterval(() => this.beat(), options.heartbeatIntervalMs).unref();
  }

  /** Idempotent: subscribing twice still delivers each event once. */
  subscribe(subscriber: Subscriber, request: MarketRequest): void {
    if (request.channel === 'heartbeat') {
      this.heartbeats.add(subscriber);
      return;
    }
    const feed = this.feed(request.symbol);
    if (feed.subscribers.has(subscriber)) return;
    if (!feed.active) feed.start(this.clock());
    feed.subscribers.add(subscriber);
    this.updateTicker();
  }

  /** False when the subscriber was not subscribed to that channel/symbol. */
  unsubscribe(subscriber: Subscriber, request: MarketRequest): boolean {
    if (request.channel === 'heartbeat') return this.heartbeats.delete(subscriber);
    const removed = this.feed(request.symbol).subscribers.delete(subscriber);
    this.updateTicker();
    return removed;
  }

  /** `trades:SYMBOL` and `heartbeat` entries the subscriber holds. */
  subscriptionsOf(subscriber: Subscriber): string[] {
    const held = [...this.feeds]
      .filter(([, feed]) => feed.subscribers.has(subscriber))
      .map(([s]) => `trades:${s}`);
    return this.heartbeats.has(subscriber) ? [...held, 'heartbeat'] : held;
  }

  /** The last `count` trades of `symbol` written to some connection, oldest first. */
  recentTrades(symbol: string, count: number): TradeEvent[] {
    return this.feed(symbol).history.last(count);
  }

  /** Forgets a subscriber entirely (its connection closed). */
  drop(subscriber: Subscriber): void {
    this.heartbeats.delete(subscriber);
    for (const feed of this.feeds.values()) feed.subscribers.delete(subscriber);
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
    clearInterval(this.heartbeatTimer);
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
    const body = heartbeatBody(formatTimestamp(this.clock() * 1000));
    for (const subscriber of this.heartbeats) subscriber.send(body);
  }
}
