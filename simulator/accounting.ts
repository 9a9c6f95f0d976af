import type { DialectName } from './dialects/dialect.js';
import type { FaultKind } from './faults.js';
import { Ring } from './ring.js';

/** One trade written to a socket, for loss and duplicate accounting by tests. */
export interface SentTrade {
  readonly connection: number;
  readonly dialect: DialectName;
  readonly symbol: string;
  /** The same for one market trade in every dialect (Coinbase sends it as a number). */
  readonly tradeId: string;
  /** Blockchain.com: the connection's seqnum; Coinbase: the product's `sequence` as sent. */
  readonly seqnum: number;
  /** Re-sent by a `replay` fault (a duplicate of an earlier trade). */
  readonly replay: boolean;
  /** Coinbase's `last_match` after a subscribe: the product's newest trade once more. */
  readonly lastMatch: boolean;
}

/** A long run keeps the newest million entries (about 100 MB at most), the oldest dropped. */
export const SENT_LOG_LIMIT = 1_000_000;

export function createSentLog(capacity = SENT_LOG_LIMIT): Ring<SentTrade> {
  return new Ring<SentTrade>(capacity);
}

/** Totals since start, across every connection, closed ones included. */
export interface Counters {
  connectionsOpened: number;
  /** Upgrades answered 503 while a `refuse` fault held. */
  connectionsRefused: number;
  tradesSent: number;
  tradesReplayed: number;
  /** Messages (trades, acks, heartbeats) a stalled connection lost. */
  messagesLostInStall: number;
  garbageSent: number;
  seqnumsSkipped: number;
  subscribesRejected: number;
  /** Connections a `throttle` fault claimed: answered with the connection-wide rejection, then ignored. */
  connectionsThrottled: number;
  /** Subscribe requests a `mute` fault claimed: never answered. */
  subscribesMuted: number;
  faults: Record<FaultKind, number>;
}

export function createCounters(): Counters {
  return {
    connectionsOpened: 0,
    connectionsRefused: 0,
    tradesSent: 0,
    tradesReplayed: 0,
    messagesLostInStall: 0,
    garbageSent: 0,
    seqnumsSkipped: 0,
    subscribesRejected: 0,
    connectionsThrottled: 0,
    subscribesMuted: 0,
    faults: {
      graceful: 0,
      abrupt: 0,
      refuse: 0,
      stall: 0,
      garbage: 0,
      replay: 0,
      gap: 0,
      reject: 0,
      quiet: 0,
      throttle: 0,
      mute: 0,
    },
  };
}
