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
  private readonly windows = new Map<string, DedupWindow>();
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
    let window = this.windows.get(key);
    if (!window) {
      window = new DedupWindow(this.dedupWindow);
      this.windows.set(key, window);
    }
    if (window.check(trade.tradeId)) {
      this.stats.duplicates++;
      return false;
    }
    this.store.add(trade);
    this.publish(key, Buffer.from(tradeToJson(trade)));
    this.stats.published++;
    return true;
  }

  /** Forgets a removed source's dedup state. */
  forgetSource(source: string): void {
    for (const key of this.windows.keys()) if (key.startsWith(`trades/${source}/`)) this.windows.delete(key);
  }
}
