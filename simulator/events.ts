import type { Side } from '../src/domain/index.js';
import type { DialectName } from './dialects/dialect.js';

/**
 * One market trade, as every dialect sees it. Each dialect renders it once, on first use, into
 * `bodies`, and that text is shared by all of that dialect's connections.
 */
export interface TradeEvent {
  readonly symbol: string;
  /** Unique for the simulator's life and the same in every dialect (decimal digits). */
  readonly tradeId: string;
  /** The product's venue-wide sequence number (Coinbase's `sequence`). */
  readonly sequence: number;
  /** ISO-8601 UTC with six fractional digits. */
  readonly timestamp: string;
  /** The aggressor's (taker's) side: what Blockchain.com reports; Coinbase reports the maker's. */
  readonly side: Side;
  readonly qty: number;
  readonly price: number;
  readonly bodies: Partial<Record<DialectName, string>>;
}

/**
 * A heartbeat tick. The venue's (Blockchain.com's single `heartbeat` channel) has no symbol; a
 * product's (Coinbase's) takes the next number of that product's sequence.
 */
export type HeartbeatEvent =
  | { readonly symbol: undefined; readonly timestamp: string }
  | {
      readonly symbol: string;
      readonly timestamp: string;
      readonly sequence: number;
      /** 0 before the product's first trade. */
      readonly lastTradeId: number;
    };

/** How a trade reaches a connection: live, re-sent by a `replay` fault, or as Coinbase's `last_match`. */
export type Delivery = 'live' | 'replay' | 'last';
