import type { Delivery, HeartbeatEvent, TradeEvent } from '../events.js';
import type { Exchange, MarketChannel, Subscriber } from '../exchange.js';
import {
  COINBASE_GARBAGE,
  type CoinbaseChannel,
  type CoinbaseRequest,
  errorMessage,
  heartbeatMessage,
  isFailure,
  matchMessage,
  parseCoinbaseRequest,
  subscriptionsMessage,
  THROTTLED_MESSAGE,
} from './coinbase-wire.js';
import type { Framed, Link, Session } from './dialect.js';

/** Close code for a client that never subscribed: it broke the venue's rule. */
export const NO_SUBSCRIBE_CLOSE_CODE = 1008;

const exchangeChannel = (channel: CoinbaseChannel, symbol: string): MarketChannel =>
  channel === 'matches' ? { channel: 'trades', symbol } : { channel: 'heartbeat', symbol };

const defined = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * One `gap` fault at work: matches lost on their way to one connection. Subscribed to the
 * products' matches in the connection's place, it swallows the first match of any of them, and
 * every later match of that product until the product's next heartbeat tick; then it gives the
 * products back. Losing only the first would hide the loss from a client that checks heartbeats:
 * a later match before the heartbeat moves its baseline past the lost one.
 */
class Loss implements Subscriber {
  /** The product whose matches are being lost, once a match has been. */
  private claimed: string | undefined;
  private readonly held: Set<string>;
  private lost = 0;

  constructor(
    private readonly exchange: Exchange,
    private readonly connection: Subscriber,
    products: readonly string[],
    private readonly finished: (product: string, lost: number) => void,
  ) {
    this.held = new Set(products);
    for (const symbol of products) {
      // In before the connection is out: the feed never goes idle, its schedule is untouched.
      exchange.subscribe(this, { channel: 'trades', symbol });
      exchange.subscribe(this, { channel: 'heartbeat', symbol });
      exchange.unsubscribe(connection, { channel: 'trades', symbol });
    }
  }

  /** Whether any match has been lost yet. */
  get started(): boolean {
    return this.claimed !== undefined;
  }

  sendTrade(trade: TradeEvent): boolean {
    if (this.claimed === undefined) {
      this.claimed = trade.symbol;
      // Other feeds than the one publishing now: safe to change while it iterates its own.
      for (const symbol of this.held) if (symbol !== trade.symbol) this.giveBack(symbol);
    }
    if (trade.symbol !== this.claimed) return this.connection.sendTrade(trade);
    this.lost++;
    return false;
  }

  sendHeartbeat(beat: HeartbeatEvent): void {
    if (beat.symbol === undefined || beat.symbol !== this.claimed) return;
    this.giveBack(beat.symbol);
    this.finished(beat.symbol, this.lost);
  }

  /** Gives every product back now, whatever was lost so far. */
  cancel(): void {
    for (const symbol of this.held) this.giveBack(symbol);
  }

  private giveBack(symbol: string): void {
    if (!this.held.delete(symbol)) return;
    this.exchange.subscribe(this.connection, { channel: 'trades', symbol });
    this.exchange.unsubscribe(this, { channel: 'trades', symbol });
    this.exchange.unsubscribe(this, { channel: 'heartbeat', symbol });
  }
}

/**
 * The Coinbase Exchange dialect on one connection. Numbering is the venue's: each product's
 * `sequence` is the same on every connection. A `gap` fault loses matches on the way, as the
 * venue's feed does: the next match of a product the client has already had a match of (its
 * baseline), and that product's matches until its next heartbeat, whose `last_trade_id` then runs
 * ahead of the last match the client saw. Lost matches are neither sent nor in the sent log; while
 * they are being lost the product is missing from the connection's status. A client that sends no
 * subscribe in time is closed, as the venue does.
 */
export class CoinbaseSession implements Session {
  readonly dialect = 'coinbase';
  readonly seqnum = null;
  /** Products this connection has sent a match of since it subscribed them: the client's baselines. */
  private readonly matched = new Set<string>();
  /** `gap` faults waiting for a product with a baseline. */
  private gapsPending = 0;
  private loss: Loss | undefined;
  private ended = false;
  /** Claimed by a `throttle` fault: every later request is ignored. */
  private throttled = false;
  private garbageCursor = 0;
  private readonly subscribeTimer: NodeJS.Timeout;

  constructor(private readonly link: Link) {
    const ms = link.context.subscribeTimeoutMs;
    this.subscribeTimer = setTimeout(() => {
      link.log.info({ timeoutMs: ms }, 'no subscribe in time, closing the connection');
      link.close(NO_SUBSCRIBE_CLOSE_CODE, `No subscribe within ${ms} ms`);
    }, ms).unref();
  }

  trade(trade: TradeEvent, delivery: Delivery): Framed {
    if (!this.matched.has(trade.symbol)) {
      this.matched.add(trade.symbol);
      // Not now: the feed is iterating its subscribers, and a loss would join them for this trade.
      if (this.gapsPending > 0) queueMicrotask(() => this.startLoss());
    }
    const number = trade.sequence;
    if (delivery === 'last') return { text: matchMessage(trade, 'last_match'), number };
    trade.bodies.coinbase ??= matchMessage(trade, 'match');
    return { text: trade.bodies.coinbase, number };
  }

  heartbeat(beat: HeartbeatEvent): string | undefined {
    return beat.symbol === undefined ? undefined : heartbeatMessage(beat);
  }

  garbage(): string {
    return COINBASE_GARBAGE[this.garbageCursor++ % COINBASE_GARBAGE.length] ?? '';
  }

  /** The `gap` fault: matches get lost, once a product has a baseline (see the class comment). */
  skip(): void {
    this.gapsPending++;
    this.startLoss();
  }

  /** The venue's sequence moves on without us: a lost message is a gap by itself. */
  lost(): void {}

  end(): void {
    this.ended = true;
    clearTimeout(this.subscribeTimer);
    this.loss?.cancel();
    this.loss = undefined;
  }

  receive(text: string): void {
    if (this.throttled) {
      this.link.log.debug('throttled: request ignored');
      return;
    }
    const request = parseCoinbaseRequest(text, this.link.context.exchange.symbols);
    if (isFailure(request)) {
      this.fail(request.type, request.reason);
      return;
    }
    // A request deals with what the connection holds: a loss at work gives its products back first.
    this.stopLoss();
    if (request.type === 'subscribe') this.subscribe(request);
    else this.unsubscribe(request);
    this.startLoss();
  }

  /** Starts losing matches for a pending `gap` fault, once some product has a baseline. */
  private startLoss(): void {
    if (this.ended || this.loss !== undefined || this.gapsPending === 0) return;
    const { exchange } = this.link.context;
    const { subscriber } = this.link;
    const products = exchange.symbolsOf(subscriber, 'trades').filter((s) => this.matched.has(s));
    if (products.length === 0) return;
    this.gapsPending--;
    this.loss = new Loss(exchange, subscriber, products, (product, lost) => {
      this.loss = undefined;
      this.link.log.debug({ product, lost }, 'gap: matches lost until the heartbeat');
      // Not now: the feed is iterating its heartbeat subscribers.
      queueMicrotask(() => this.startLoss());
    });
  }

  /** Gives back the products of a loss at work; one that has lost nothing yet is still owed. */
  private stopLoss(): void {
    if (this.loss === undefined) return;
    if (!this.loss.started) this.gapsPending++;
    this.loss.cancel();
    this.loss = undefined;
  }

  private subscribe(request: CoinbaseRequest): void {
    const { armed, counters, exchange } = this.link.context;
    const matches = request.channels.get('matches') ?? [];
    if (matches.length > 0 && armed.takeThrottle()) {
      this.throttled = true;
      // Subscribed in time as far as the venue's rule goes: the client did send one.
      clearTimeout(this.subscribeTimer);
      this.link.write(() => THROTTLED_MESSAGE);
      this.link.log.debug({ products: matches }, 'throttled: connection rejected');
      return;
    }
    if (matches.length > 0 && armed.takeMute()) {
      // Subscribed in time as far as the venue's rule goes; the answer just never comes.
      clearTimeout(this.subscribeTimer);
      this.link.log.debug({ products: matches }, 'muted: subscribe left unanswered');
      return;
    }
    const refusals = matches.map((symbol) => armed.takeReject(symbol)).filter(defined);
    if (refusals.length > 0) {
      counters.subscribesRejected += refusals.length;
      this.fail('subscribe', refusals.join('; '));
      return;
    }
    clearTimeout(this.subscribeTimer);
    const added = new Set<string>();
    for (const [channel, symbols] of request.channels) {
      for (const symbol of symbols ?? []) {
        if (
          exchange.subscribe(this.link.subscriber, exchangeChannel(channel, symbol)) &&
          channel === 'matches'
        ) {
          added.add(symbol);
          // Newly in the list: the client starts this product afresh, from its next match.
          this.matched.delete(symbol);
        }
      }
    }
    // The answer first: no match may precede it. Subscribing above sent nothing (trades come on timers).
    this.sendSubscriptions();
    for (const symbol of matches) {
      const last = added.has(symbol) ? exchange.lastTrade(symbol) : undefined;
      if (last !== undefined) this.link.sendTrade(last, 'last');
      for (const trade of armed.takeReplay(symbol)) this.link.sendTrade(trade, 'replay');
    }
    this.link.log.debug({ channels: Object.fromEntries(request.channels) }, 'subscribed');
  }

  private unsubscribe(request: CoinbaseRequest): void {
    const { exchange } = this.link.context;
    const { subscriber } = this.link;
    for (const [channel, symbols] of request.channels) {
      // No product ids: the whole channel, as the venue allows.
      const held = exchange.symbolsOf(subscriber, channel === 'matches' ? 'trades' : 'heartbeat');
      for (const symbol of symbols ?? held)
        exchange.unsubscribe(subscriber, exchangeChannel(channel, symbol));
    }
    const matching = exchange.symbolsOf(subscriber, 'trades');
    for (const symbol of this.matched) if (!matching.includes(symbol)) this.matched.delete(symbol);
    this.sendSubscriptions();
    this.link.log.debug({ channels: Object.fromEntries(request.channels) }, 'unsubscribed');
  }

  /** The full current list, as the venue answers every subscribe and unsubscribe. */
  private sendSubscriptions(): void {
    const { exchange } = this.link.context;
    const { subscriber } = this.link;
    const held = new Map<CoinbaseChannel, string[]>([
      ['matches', exchange.symbolsOf(subscriber, 'trades')],
      ['heartbeat', exchange.symbolsOf(subscriber, 'heartbeat')],
    ]);
    this.link.write(() => subscriptionsMessage(held));
  }

  private fail(type: string, reason: string): void {
    this.link.write(() => errorMessage(type, reason));
    this.link.log.debug({ reason }, 'request failed');
  }
}
