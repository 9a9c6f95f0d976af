import type { Logger } from 'pino';
import type { ConnectionContext } from '../connection.js';
import type { Delivery, HeartbeatEvent, TradeEvent } from '../events.js';
import type { Subscriber } from '../exchange.js';

export const DIALECT_NAMES = ['blockchain', 'coinbase'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

/** What a session may do through its connection, which owns the socket and the faults on it. */
export interface Link {
  readonly context: ConnectionContext;
  readonly log: Logger;
  /** The connection as the exchange knows it. */
  readonly subscriber: Subscriber;
  /**
   * Writes `render()` unless nothing can be written now (closed, stalled, too slow); `render` is
   * only called when the frame goes out, so it may take a number.
   */
  write(render: () => string | undefined): boolean;
  /** Writes a trade through `Session.trade`, with any pending garbage first; counts and logs it. */
  sendTrade(trade: TradeEvent, delivery?: Delivery): boolean;
  close(code: number, reason: string): void;
}

/** A trade framed for the wire, and the number the sent log records for it. */
export interface Framed {
  readonly text: string;
  /** Blockchain.com: the connection's seqnum; Coinbase: the product's `sequence` as sent. */
  readonly number: number;
}

/**
 * One connection's side of a dialect: reads the client's requests and acts on the exchange
 * through its link, and frames what the exchange publishes.
 */
export interface Session {
  readonly dialect: DialectName;
  /** The seqnum the next message will carry; null where numbering is per product (Coinbase). */
  readonly seqnum: number | null;
  receive(text: string): void;
  trade(trade: TradeEvent, delivery: Delivery): Framed;
  /** Undefined for a heartbeat this dialect does not speak. */
  heartbeat(beat: HeartbeatEvent): string | undefined;
  /** The next malformed frame for the `garbage` fault. */
  garbage(): string;
  /** The `gap` fault: the next numbered message carries a number one higher than it should. */
  skip(): void;
  /** A message was lost to a stall; a zombie socket still numbers what it loses. */
  lost(): void;
  /** The socket closed: stop any timer. */
  end(): void;
}

export type SessionFactory = (link: Link) => Session;
