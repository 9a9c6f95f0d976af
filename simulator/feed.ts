import type { HeartbeatEvent, TradeEvent } from './events.js';
import { REPLAY_HISTORY } from './faults.js';
import type { Market } from './market.js';
import { formatTimestamp } from './protocol.js';
import { Ring } from './ring.js';

/** Whatever receives market events: a connection, in practice. */
export interface Subscriber {
  /** True when the trade was written to the socket (not lost to a stall or a closed socket). */
  sendTrade(trade: TradeEvent): boolean;
  sendHeartbeat(beat: HeartbeatEvent): void;
}

/** Trade ids unique across every symbol and connection for the simulator's life. */
export class TradeIds {
  constructor(private next: number) {}

  take(): string {
    return String(this.next++);
  }
}

/**
 * One symbol: its market, the subscribers watching it, the schedule of its trades, and its
 * sequence, which every trade and product heartbeat takes the next number of.
 */
export class Feed {
  readonly subscribers = new Set<Subscriber>();
  /** Subscribers of this product's heartbeat (Coinbase's per-product heartbeat channel). */
  readonly heartbeats = new Set<Subscriber>();
  /** The newest trades written to at least one socket, for the `replay` fault. */
  readonly history = new Ring<TradeEvent>(REPLAY_HISTORY);
  /** The newest trade generated, written to a socket or not (Coinbase's `last_match`). */
  last: TradeEvent | undefined;
  private startedAt = 0;
  private emitted = 0;
  private sequence: number;

  constructor(
    private readonly market: Market,
    private readonly rate: number,
    private readonly ids: TradeIds,
    firstSequence: number,
  ) {
    this.sequence = firstSequence;
  }

  get symbol(): string {
    return this.market.symbol;
  }

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

  /** Sends this product's heartbeat to its heartbeat subscribers, if it has any. */
  beat(timestamp: string): void {
    if (this.heartbeats.size === 0) return;
    const beat: HeartbeatEvent = {
      symbol: this.symbol,
      timestamp,
      sequence: this.sequence++,
      lastTradeId: this.last === undefined ? 0 : Number(this.last.tradeId),
    };
    for (const subscriber of this.heartbeats) subscriber.sendHeartbeat(beat);
  }

  private publish(scheduledAt: number): void {
    const { price, qty, side } = this.market.next();
    const trade: TradeEvent = {
      symbol: this.symbol,
      tradeId: this.ids.take(),
      sequence: this.sequence++,
      // The trade's scheduled time: evenly spaced even when a tick emits a batch.
      timestamp: formatTimestamp(scheduledAt * 1000),
      side,
      qty,
      price,
      bodies: {},
    };
    this.last = trade;
    let written = false;
    for (const subscriber of this.subscribers) written = subscriber.sendTrade(trade) || written;
    if (written) this.history.push(trade);
  }
}
