import type { Logger } from 'pino';
import { type RawData, WebSocket } from 'ws';
import type { Counters, SentTrade } from './accounting.js';
import type { Exchange, Subscriber } from './exchange.js';
import { garbageFrames, renderGarbage } from './garbage.js';
import {
  ackBody,
  type Body,
  frame,
  isRejection,
  type MarketRequest,
  notSubscribed,
  parseRequest,
  type Rejection,
  rejectedBody,
  type TradeEvent,
} from './protocol.js';
import type { Ring } from './ring.js';

/** Beyond this much unsent data a client is not keeping up; dropping it bounds our memory. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Faults armed for later requests, claimed by the first connection they apply to. */
export interface ArmedFaults {
  /** The rejection text if a `reject` fault claims this subscribe. */
  takeReject(symbol: string): string | undefined;
  /** Trades to re-send after this subscribe's ack; empty unless a `replay` is armed for the symbol. */
  takeReplay(symbol: string): readonly TradeEvent[];
}

/** What every connection of one simulator shares. */
export interface ConnectionContext {
  readonly exchange: Exchange;
  readonly armed: ArmedFaults;
  readonly counters: Counters;
  readonly sentLog: Ring<SentTrade> | undefined;
}

export interface ConnectionStatus {
  readonly id: number;
  /** The seqnum the next message will carry. */
  readonly seqnum: number;
  readonly subscriptions: string[];
  readonly stalledUntil: string | null;
  readonly garbagePending: number;
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client socket. Owns the connection's seqnum: every message sent takes the next number,
 * whatever its channel (CONTRACT §6). Also carries the per-connection faults: stall, garbage, gap.
 */
export class Connection implements Subscriber {
  private seqnum = 0;
  /** Epoch ms until which nothing is written; messages meanwhile are lost, as on a zombie socket. */
  private stalledUntil = 0;
  private garbagePending = 0;
  private garbageCursor = 0;
  private readonly closed: Promise<void>;
  private readonly exchange: Exchange;

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    private readonly context: ConnectionContext,
    private readonly log: Logger,
  ) {
    this.exchange = context.exchange;
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.exchange.drop(this);
        log.info({ code, reason: reason.toString('utf8') }, 'connection closed');
        resolve();
      });
    });
    socket.on('message', (data) => this.receive(toText(data)));
    socket.on('error', (err) => log.warn({ err }, 'socket error'));
  }

  /** Resolves once the socket has closed, for whatever reason. */
  get done(): Promise<void> {
    return this.closed;
  }

  /** Frames `body` with the next seqnum and sends it. */
  send(body: Body): void {
    if (this.writable()) this.socket.send(frame(this.seqnum++, body));
  }

  sendTrade(trade: TradeEvent, replay = false): boolean {
    if (!this.writable()) return false;
    if (this.garbagePending > 0) this.sendGarbage();
    const seqnum = this.seqnum++;
    this.socket.send(frame(seqnum, trade.body));
    const { counters, sentLog } = this.context;
    counters.tradesSent++;
    if (replay) counters.tradesReplayed++;
    sentLog?.push({ connection: this.id, symbol: trade.symbol, tradeId: trade.tradeId, seqnum, replay });
    return true;
  }

  /** Closes with a close frame, or terminates if the client does not answer within `graceMs`. */
  close(code: number, reason: string, graceMs: number): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    const timer = setTimeout(() => this.socket.terminate(), graceMs).unref();
    return this.closed.finally(() => clearTimeout(timer));
  }

  /** Destroys the TCP socket: no close frame, the client sees 1006. */
  terminate(): void {
    this.socket.terminate();
  }

  /** Sends nothing for `ms`; a later stall may extend the window, never shorten it. */
  stall(ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, Date.now() + ms);
  }

  /** Puts one malformed frame before each of the next `count` trades. */
  addGarbage(count: number): void {
    this.garbagePending += count;
  }

  /** The next message carries a seqnum one higher than it should. */
  skipSeqnum(): void {
    this.seqnum++;
    this.context.counters.seqnumsSkipped++;
  }

  status(): ConnectionStatus {
    const stalled = this.stalledUntil > Date.now();
    return {
      id: this.id,
      seqnum: this.seqnum,
      subscriptions: this.exchange.subscriptionsOf(this),
      stalledUntil: stalled ? new Date(this.stalledUntil).toISOString() : null,
      garbagePending: this.garbagePending,
    };
  }

  /** False when nothing can be written now; a stalled connection's message still takes its seqnum. */
  private writable(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    if (this.stalledUntil > Date.now()) {
      this.seqnum++;
      this.context.counters.messagesLostInStall++;
      return false;
    }
    const buffered = this.socket.bufferedAmount;
    if (buffered > MAX_BUFFERED_BYTES) {
      this.log.warn({ bufferedAmount: buffered }, 'client too slow, terminating connection');
      this.socket.terminate();
      return false;
    }
    return true;
  }

  private sendGarbage(): void {
    const frames = garbageFrames();
    const garbage = frames[this.garbageCursor++ % frames.length];
    if (garbage === undefined) return;
    this.garbagePending--;
    this.socket.send(renderGarbage(garbage, garbage.numbered ? this.seqnum++ : this.seqnum));
    this.context.counters.garbageSent++;
  }

  private receive(text: string): void {
    const request = parseRequest(text, this.exchange.symbols);
    if (isRejection(request)) {
      this.reject(request);
    } else if (request.channel === 'auth') {
      // Any non-empty token will do; parseRequest refused the others.
      this.send(ackBody(request.action === 'subscribe' ? 'subscribed' : 'unsubscribed', request));
      this.log.debug({ action: request.action }, 'auth');
    } else if (request.action === 'subscribe') {
      this.subscribe(request);
    } else if (this.exchange.unsubscribe(this, request)) {
      this.send(ackBody('unsubscribed', request));
      this.log.debug({ request }, 'unsubscribed');
    } else {
      this.reject(notSubscribed(request));
    }
  }

  private subscribe(request: MarketRequest): void {
    const { armed } = this.context;
    if (request.channel === 'trades') {
      const refusal = armed.takeReject(request.symbol);
      if (refusal !== undefined) {
        this.context.counters.subscribesRejected++;
        this.reject({ channel: 'trades', symbol: request.symbol, text: refusal });
        return;
      }
    }
    // Ack first: no trade may precede the subscription's acknowledgement.
    this.send(ackBody('subscribed', request));
    if (request.channel === 'trades') {
      for (const trade of armed.takeReplay(request.symbol)) this.sendTrade(trade, true);
    }
    this.exchange.subscribe(this, request);
    this.log.debug({ request }, 'subscribed');
  }

  private reject(rejection: Rejection): void {
    this.send(rejectedBody(rejection));
    this.log.debug({ rejection }, 'request rejected');
  }
}
