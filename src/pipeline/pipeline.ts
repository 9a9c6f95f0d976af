import { type Trade, TradeJsonWriter, topics } from '../domain/index.js';
import { DedupWindow } from './dedup.js';
import type { TradeStore } from './store.js';

/** Publishes one serialized trade; the broker adapter implements it. */
export type PublishFn = (topic: string, payload: Buffer) => void;

interface Pair {
  readonly topic: string;
  readonly payload: TradeJsonWriter;
  readonly window: DedupWindow;
  readonly stats: PairStats;
}

/** Plain counters of the data plane (metrics read them; no per-trade allocation). */
export interface PipelineStats {
  received: number;
  duplicates: number;
  published: number;
}

/** One source/symbol's share of the counters; metrics read these at scrape time. */
export interface PairStats {
  readonly source: string;
  readonly symbol: string;
  received: number;
  duplicates: number;
  published: number;
}

export interface PipelineOptions {
  store: TradeStore;
  publish: PublishFn;
  /** Trade ids remembered per source/symbol for duplicate detection. */
  dedupWindow?: number;
}

/**
 * The data plane: dedup → store → publish, one plain call per trade.
 * Dedup runs before everything so a trade replayed after a reconnect reaches nobody twice.
 */
export class Pipeline {
  readonly stats: PipelineStats = { received: 0, duplicates: 0, published: 0 };
  // Per source, then symbol: no key string is built per trade. Counters, topic and payload head
  // sit next to the dedup window, so a trade costs two map lookups and nothing more.
  private readonly pairs = new Map<string, Map<string, Pair>>();
  private readonly store: TradeStore;
  private readonly publish: PublishFn;
  private readonly dedupWindow: number;

  constructor(options: PipelineOptions) {
    this.store = options.store;
    this.publish = options.publish;
    this.dedupWindow = options.dedupWindow ?? Math.max(10_000, options.store.maxTradesPerSymbol);
  }

  ingest(trade: Trade): boolean {
    this.stats.received++;
    const pair = this.pair(trade.source, trade.symbol);
    pair.stats.received++;
    if (pair.window.check(trade.tradeId)) {
      this.stats.duplicates++;
      pair.stats.duplicates++;
      return false;
    }
    this.store.add(trade);
    this.publish(pair.topic, Buffer.from(pair.payload.write(trade)));
    this.stats.published++;
    pair.stats.published++;
    return true;
  }

  /** The live counters of every source/symbol seen (read them, do not keep them). */
  *pairStats(): IterableIterator<PairStats> {
    for (const bySymbol of this.pairs.values()) for (const pair of bySymbol.values()) yield pair.stats;
  }

  /** Forgets a removed source's dedup state and counters. */
  forgetSource(source: string): void {
    this.pairs.delete(source);
  }

  private pair(source: string, symbol: string): Pair {
    let bySymbol = this.pairs.get(source);
    if (!bySymbol) {
      bySymbol = new Map();
      this.pairs.set(source, bySymbol);
    }
    let pair = bySymbol.get(symbol);
    if (!pair) {
      pair = {
        topic: topics.trades(source, symbol),
        payload: new TradeJsonWriter(source, symbol),
        window: new DedupWindow(this.dedupWindow),
        stats: { source, symbol, received: 0, duplicates: 0, published: 0 },
      };
      bySymbol.set(symbol, pair);
    }
    return pair;
  }
}
