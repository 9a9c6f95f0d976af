import type { Trade } from '../domain/index.js';

/**
 * The newest `capacity` trades of one source/symbol in a ring, each with its arrival number
 * (store-wide, increasing), so rings can be merged in true arrival order even when many trades
 * share a millisecond.
 */
export class TradeRing {
  private readonly ring: (Trade | undefined)[];
  private readonly arrivals: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<Trade | undefined>(capacity);
    this.arrivals = new Float64Array(capacity);
  }

  push(trade: Trade, arrival = 0): void {
    this.ring[this.next] = trade;
    this.arrivals[this.next] = arrival;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Up to `count` trades, newest first. A count that is not a positive number gives none. */
  newest(count: number): Trade[] {
    const n = this.limit(count);
    const out: Trade[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[this.slot(i)] as Trade;
    return out;
  }

  /** The i-th newest trade's arrival number (i < size). */
  arrivalAt(i: number): number {
    return this.arrivals[this.slot(i)] as number;
  }

  /** The i-th newest trade (i < size). */
  at(i: number): Trade {
    return this.ring[this.slot(i)] as Trade;
  }

  limit(count: number): number {
    return Number.isFinite(count) && count > 0 ? Math.min(Math.floor(count), this.count) : 0;
  }

  private slot(i: number): number {
    return (this.next - 1 - i + this.capacity) % this.capacity;
  }
}

export interface RecentOptions {
  source?: string | undefined;
  count?: number | undefined;
  /** Only trades whose venue timestamp is earlier than this (epoch ms). */
  before?: number | undefined;
  /** Only trades whose venue timestamp is later than this (epoch ms). */
  after?: number | undefined;
}

/** Recent trades of every source/symbol, each bounded by `maxTradesPerSymbol`. */
export class TradeStore {
  /** symbol → source → ring */
  private readonly rings = new Map<string, Map<string, TradeRing>>();
  private arrivals = 0;

  constructor(readonly maxTradesPerSymbol: number) {}

  add(trade: Trade): void {
    let bySource = this.rings.get(trade.symbol);
    if (!bySource) {
      bySource = new Map();
      this.rings.set(trade.symbol, bySource);
    }
    let ring = bySource.get(trade.source);
    if (!ring) {
      ring = new TradeRing(this.maxTradesPerSymbol);
      bySource.set(trade.source, ring);
    }
    ring.push(trade, this.arrivals++);
  }

  /**
   * Newest first. Without `source`, trades of every source for that symbol, merged by arrival.
   * `before`/`after` (epoch ms, exclusive) bound the venue timestamp, at millisecond precision.
   */
  recent(symbol: string, options: RecentOptions = {}): Trade[] {
    const count = options.count ?? 100;
    const bySource = this.rings.get(symbol);
    if (!bySource || !(count > 0)) return [];
    const { before, after } = options;
    const bounded = before !== undefined || after !== undefined;
    const keep = (t: Trade) => {
      if (!bounded) return true;
      const at = Date.parse(t.timestamp);
      return (before === undefined || at < before) && (after === undefined || at > after);
    };
    const rings = options.source === undefined ? [...bySource.values()] : [bySource.get(options.source)];
    // With bounds, a ring may have to be read past `count` to find `count` trades that fit.
    const heads = rings
      .filter((ring): ring is TradeRing => ring !== undefined)
      .map((ring) => ({ ring, at: 0, end: bounded ? ring.size : ring.limit(count) }));
    const out: Trade[] = [];
    while (out.length < count) {
      let best: (typeof heads)[number] | undefined;
      for (const h of heads) {
        if (h.at < h.end && (!best || h.ring.arrivalAt(h.at) > best.ring.arrivalAt(best.at))) best = h;
      }
      if (!best) break;
      const trade = best.ring.at(best.at++);
      if (keep(trade)) out.push(trade);
    }
    return out;
  }

  /** Stored trades per `source/symbol`. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [symbol, bySource] of this.rings) {
      for (const [source, ring] of bySource) out[`${source}/${symbol}`] = ring.size;
    }
    return out;
  }
}
