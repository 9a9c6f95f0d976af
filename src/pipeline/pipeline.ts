import { type Trade, topics, tradeToJson } from '../domain/index.js';
import { DedupWindow } from './dedup.js';
import type { TradeStore } from './store.js';

/** Publishes one serialized trade; the broker adapter implements it. */
export type PublishFn = (topic: string, payload: Buffer) => void;

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
  // Counters sit next to the dedup window so a trade still costs one map lookup.
  private readonly pairs = new Map<string, { window: DedupWindow; stats: PairStats }>();
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
    const key = topics.trades(trade.source, trade.symbol);
    let pair = this.pairs.get(key);
    if (!pair) {
      const stats = { source: trade.source, symbol: trade.symbol, received: 0, duplicates: 0, published: 0 };
      pair = { window: new DedupWindow(this.dedupWindow), stats };
      this.pairs.set(key, pair);
    }
    pair.stats.received++;
    if (pair.window.check(trade.tradeId)) {
      this.stats.duplicates++;
      pair.stats.duplicates++;
      return false;
    }
    this.store.add(trade);
    this.publish(key, Buffer.from(tradeToJson(trade)));
    this.stats.published++;
    pair.stats.published++;
    return true;
  }

  /** The live counters of every source/symbol seen (read them, do not keep them). */
  *pairStats(): IterableIterator<PairStats> {
    for (const pair of this.pairs.values()) yield pair.stats;
  }

  /** Forgets a removed source's dedup state and counters. */
  forgetSource(source: string): void {
    for (const key of this.pairs.keys()) if (key.startsWith(`trades/${source}/`)) this.pairs.delete(key);
  }
}
