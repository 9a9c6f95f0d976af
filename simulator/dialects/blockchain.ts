import type { Delivery, HeartbeatEvent, TradeEvent } from '../events.js';
import { garbageFrames, renderGarbage } from '../garbage.js';
import {
  ackBody,
  type Body,
  frame,
  heartbeatBody,
  isRejection,
  type MarketRequest,
  notSubscribed,
  parseRequest,
  type Rejection,
  rejectedBody,
  THROTTLED_FRAME,
  tradeBody,
} from '../protocol.js';
import type { Framed, Link, Session } from './dialect.js';

/**
 * The Blockchain.com Exchange dialect on one connection (CONTRACT §6). Owns the connection's
 * seqnum: every message sent takes the next number, whatever its channel.
 */
export class BlockchainSession implements Session {
  readonly dialect = 'blockchain';
  private next = 0;
  private garbageCursor = 0;
  /** Claimed by a `throttle` fault: every later request is ignored (heartbeats go on). */
  private throttled = false;

  constructor(private readonly link: Link) {}

  get seqnum(): number {
    return this.next;
  }

  trade(trade: TradeEvent, _delivery: Delivery): Framed {
    trade.bodies.blockchain ??= tradeBody(trade);
    const seqnum = this.next++;
    return { text: frame(seqnum, trade.bodies.blockchain), number: seqnum };
  }

  heartbeat(beat: HeartbeatEvent): string | undefined {
    return beat.symbol === undefined ? frame(this.next++, heartbeatBody(beat.timestamp)) : undefined;
  }

  /** A JSON object with a numeric seqnum takes the next one, so garbage never fakes a gap. */
  garbage(): string {
    const frames = garbageFrames();
    const garbage = frames[this.garbageCursor++ % frames.length];
    if (garbage === undefined) return '';
    return renderGarbage(garbage, garbage.numbered ? this.next++ : this.next);
  }

  skip(): void {
    this.next++;
  }

  lost(): void {
    this.next++;
  }

  end(): void {}

  receive(text: string): void {
    const { exchange } = this.link.context;
    if (this.throttled) {
      this.link.log.debug('throttled: request ignored');
      return;
    }
    const request = parseRequest(text, exchange.symbols);
    if (isRejection(request)) {
      this.reject(request);
    } else if (request.channel === 'auth') {
      // Any non-empty token will do; parseRequest refused the others.
      this.send(ackBody(request.action === 'subscribe' ? 'subscribed' : 'unsubscribed', request));
      this.link.log.debug({ action: request.action }, 'auth');
    } else if (request.action === 'subscribe') {
      this.subscribe(request);
    } else if (exchange.unsubscribe(this.link.subscriber, request)) {
      this.send(ackBody('unsubscribed', request));
      this.link.log.debug({ request }, 'unsubscribed');
    } else {
      this.reject(notSubscribed(request));
    }
  }

  /** Frames `body` with the next seqnum, if it can be written now. */
  private send(body: Body): void {
    this.link.write(() => frame(this.next++, body));
  }

  private subscribe(request: MarketRequest): void {
    const { armed, counters, exchange } = this.link.context;
    if (request.channel === 'trades') {
      if (armed.takeThrottle()) {
        this.throttled = true;
        // As the venue sends it: without a seqnum, so the connection's numbering does not move.
        this.link.write(() => THROTTLED_FRAME);
        this.link.log.debug({ request }, 'throttled: connection rejected');
        return;
      }
      if (armed.takeMute()) {
        this.link.log.debug({ request }, 'muted: subscribe left unanswered');
        return;
      }
      const refusal = armed.takeReject(request.symbol);
      if (refusal !== undefined) {
        counters.subscribesRejected++;
        this.reject({ channel: 'trades', symbol: request.symbol, text: refusal });
        return;
      }
    }
    // Ack first: no trade may precede the subscription's acknowledgement.
    this.send(ackBody('subscribed', request));
    if (request.channel === 'trades') {
      for (const trade of armed.takeReplay(request.symbol)) this.link.sendTrade(trade, 'replay');
    }
    exchange.subscribe(this.link.subscriber, request);
    this.link.log.debug({ request }, 'subscribed');
  }

  private reject(rejection: Rejection): void {
    this.send(rejectedBody(rejection));
    this.link.log.debug({ rejection }, 'request rejected');
  }
}
