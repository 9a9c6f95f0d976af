import type { Trade } from '../domain/index.js';

/** The newest `capacity` trades of one source/symbol, in arrival order, in a ring. */
export class TradeRing {
  private readonly ring: (Trade | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<Trade | undefined>(capacity);
  }

  push(trade: Trade): void {
    this.ring[this.next] = trade;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Up to `count` trades, newest first. */
  newest(count: number): Trade[] {
    const n = Math.min(Math.max(0, Math.floor(count)), this.count);
    const out: Trade[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.ring[(this.next - 1 - i + this.capacity) % this.capacity] as Trade;
    }
    return out;
  }
}

/** Recent trades of every source/symbol, each bounded by `maxTradesPerSymbol`. */
export class TradeStore {
  private readonly rings = new Map<string, TradeRing>();

  constructor(readonly maxTradesPerSymbol: number) {}

  add(trade: Trade): void {
    const key = `${trade.source}/${trade.symbol}`;
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new TradeRing(this.maxTradesPerSymbol);
      this.rings.set(key, ring);
    }
    ring.push(trade);
  }

  /** Newest first. Without `source`, trades of every source for that symbol, merged by arrival. */
  recent(symbol: string, options: { source?: string; count?: number } = {}): Trade[] {
    const count = options.count ?? 100;
    if (options.source !== undefined)
      return this.rings.get(`${options.source}/${symbol}`)?.newest(count) ?? [];
    const all: Trade[] = [];
    for (const [key, ring] of this.rings) if (key.endsWith(`/${symbol}`)) all.push(...ring.newest(count));
    return all
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : 0))
      .slice(0, count);
  }

  /** Stored trades per `source/symbol`. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, ring] of this.rings) out[key] = ring.size;
    return out;
  }
}
