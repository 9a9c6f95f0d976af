import type { Logger } from 'pino';
import { type RawData, WebSocket } from 'ws';
import type { Counters, SentTrade } from './accounting.js';
import { CLOSE_GRACE_MS } from './controller.js';
import type { DialectName, Link, Session } from './dialects/dialect.js';
import { createSession } from './dialects/registry.js';
import type { Delivery, HeartbeatEvent, TradeEvent } from './events.js';
import type { Exchange, Subscriber } from './exchange.js';
import type { Ring } from './ring.js';

/** Beyond this much unsent data a client is not keeping up; dropping it bounds our memory. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Faults armed for later requests, claimed by the first connection they apply to. */
export interface ArmedFaults {
  /** The rejection text if a `reject` fault claims this subscribe. */
  takeReject(symbol: string): string | undefined;
  /** Whether a `throttle` fault claims this subscribe (and with it the whole connection); counts it if so. */
  takeThrottle(): boolean;
  /** Whether a `mute` fault claims this subscribe (it is then left unanswered); counts it if so. */
  takeMute(): boolean;
  /** Trades to re-send after this subscribe's answer; empty unless a `replay` is armed for the symbol. */
  takeReplay(symbol: string): readonly TradeEvent[];
}

/** What every connection of one simulator shares. */
export interface ConnectionContext {
  readonly exchange: Exchange;
  readonly armed: ArmedFaults;
  readonly counters: Counters;
  readonly sentLog: Ring<SentTrade> | undefined;
  /** Coinbase closes a connection that has not subscribed by then. */
  readonly subscribeTimeoutMs: number;
}

export interface ConnectionStatus {
  readonly id: number;
  readonly dialect: DialectName;
  /** The seqnum the next message will carry; null for Coinbase, whose numbers are per product. */
  readonly seqnum: number | null;
  readonly subscriptions: string[];
  readonly stalledUntil: string | null;
  readonly garbagePending: number;
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client socket, in one dialect. The session speaks the dialect; the connection carries the
 * faults on the socket whatever the dialect: stall, garbage, gap, and the closes.
 */
export class Connection implements Subscriber, Link {
  /** Epoch ms until which nothing is written; messages meanwhile are lost, as on a zombie socket. */
  private stalledUntil = 0;
  private garbagePending = 0;
  private readonly closed: Promise<void>;
  private readonly exchange: Exchange;
  private readonly session: Session;

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    readonly context: ConnectionContext,
    readonly log: Logger,
    dialect: DialectName = 'blockchain',
  ) {
    this.exchange = context.exchange;
    this.session = createSession(dialect, this);
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.session.end();
        this.exchange.drop(this);
        log.info({ code, reason: reason.toString('utf8') }, 'connection closed');
        resolve();
      });
    });
    socket.on('message', (data) => this.session.receive(toText(data)));
    socket.on('error', (err) => log.warn({ err }, 'socket error'));
  }

  get dialect(): DialectName {
    return this.session.dialect;
  }

  /** Resolves once the socket has closed, for whatever reason. */
  get done(): Promise<void> {
    return this.closed;
  }

  get subscriber(): Subscriber {
    return this;
  }

  write(render: () => string | undefined): boolean {
    if (!this.writable()) return false;
    const text = render();
    if (text === undefined) return false;
    this.socket.send(text);
    return true;
  }

  sendTrade(trade: TradeEvent, delivery: Delivery = 'live'): boolean {
    if (!this.writable()) return false;
    if (this.garbagePending > 0) this.sendGarbage();
    const { text, number } = this.session.trade(trade, delivery);
    this.socket.send(text);
    const { counters, sentLog } = this.context;
    const replay = delivery === 'replay';
    counters.tradesSent++;
    if (replay) counters.tradesReplayed++;
    sentLog?.push({
      connection: this.id,
      dialect: this.session.dialect,
      symbol: trade.symbol,
      tradeId: trade.tradeId,
      seqnum: number,
      replay,
      lastMatch: delivery === 'last',
    });
    return true;
  }

  sendHeartbeat(beat: HeartbeatEvent): void {
    this.write(() => this.session.heartbeat(beat));
  }

  /** Closes with a close frame, or terminates if the client does not answer within `graceMs`. */
  close(code: number, reason: string, graceMs = CLOSE_GRACE_MS): Promise<void> {
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

  /** The next numbered message carries a number one higher than it should. */
  skipSeqnum(): void {
    this.session.skip();
    this.context.counters.seqnumsSkipped++;
  }

  status(): ConnectionStatus {
    const stalled = this.stalledUntil > Date.now();
    return {
      id: this.id,
      dialect: this.session.dialect,
      seqnum: this.session.seqnum,
      subscriptions: this.exchange.subscriptionsOf(this),
      stalledUntil: stalled ? new Date(this.stalledUntil).toISOString() : null,
      garbagePending: this.garbagePending,
    };
  }

  /** False when nothing can be written now; a stalled connection's message still counts as lost. */
  private writable(): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    if (this.stalledUntil > Date.now()) {
      this.session.lost();
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
    this.garbagePending--;
    this.socket.send(this.session.garbage());
    this.context.counters.garbageSent++;
  }
}
