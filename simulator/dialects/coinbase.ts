import type { Delivery, HeartbeatEvent, TradeEvent } from '../events.js';
import type { MarketChannel } from '../exchange.js';
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
} from './coinbase-wire.js';
import type { Framed, Link, Session } from './dialect.js';

/** Close code for a client that never subscribed: it broke the venue's rule. */
export const NO_SUBSCRIBE_CLOSE_CODE = 1008;

const exchangeChannel = (channel: CoinbaseChannel, symbol: string): MarketChannel =>
  channel === 'matches' ? { channel: 'trades', symbol } : { channel: 'heartbeat', symbol };

const defined = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * The Coinbase Exchange dialect on one connection. Numbering is the venue's: each product's
 * `sequence` is the same on every connection, so a `gap` fault shifts this connection's numbers
 * of one product instead. A client that sends no subscribe in time is closed, as the venue does.
 */
export class CoinbaseSession implements Session {
  readonly dialect = 'coinbase';
  readonly seqnum = null;
  /** Per product, how far this connection's sequences run ahead of the venue's (`gap` faults). */
  private readonly offsets = new Map<string, number>();
  /** Sequences to skip on the next numbered message. */
  private skipPending = 0;
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
    const offset = this.offset(trade.symbol);
    const number = trade.sequence + offset;
    if (delivery === 'last') return { text: matchMessage(trade, 'last_match', offset), number };
    if (offset !== 0) return { text: matchMessage(trade, 'match', offset), number };
    trade.bodies.coinbase ??= matchMessage(trade, 'match');
    return { text: trade.bodies.coinbase, number };
  }

  heartbeat(beat: HeartbeatEvent): string | undefined {
    return beat.symbol === undefined ? undefined : heartbeatMessage(beat, this.offset(beat.symbol));
  }

  garbage(): string {
    return COINBASE_GARBAGE[this.garbageCursor++ % COINBASE_GARBAGE.length] ?? '';
  }

  skip(): void {
    this.skipPending++;
  }

  /** The venue's sequence moves on without us: a lost message is a gap by itself. */
  lost(): void {}

  end(): void {
    clearTimeout(this.subscribeTimer);
  }

  receive(text: string): void {
    const request = parseCoinbaseRequest(text, this.link.context.exchange.symbols);
    if (isFailure(request)) this.fail(request.type, request.reason);
    else if (request.type === 'subscribe') this.subscribe(request);
    else this.unsubscribe(request);
  }

  /** The product's offset, taking any pending skips. */
  private offset(symbol: string): number {
    const offset = (this.offsets.get(symbol) ?? 0) + this.skipPending;
    if (this.skipPending > 0) this.offsets.set(symbol, offset);
    this.skipPending = 0;
    return offset;
  }

  private subscribe(request: CoinbaseRequest): void {
    const { armed, counters, exchange } = this.link.context;
    const matches = request.channels.get('matches') ?? [];
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
