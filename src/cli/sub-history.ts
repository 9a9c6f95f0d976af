import type { Trade } from '../domain/index.js';

/** Remembers the last `capacity` trades by source and trade id (trade ids are unique per source). */
export class TradeDedup {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(private readonly capacity = 50_000) {}

  /** True the first time a trade is offered; false for a repeat. */
  add(t: Pick<Trade, 'source' | 'tradeId'>): boolean {
    const key = `${t.source}\u0000${t.tradeId}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.order.push(key);
    if (this.order.length - this.head > this.capacity) {
      this.seen.delete(this.order[this.head++] as string);
      // Compact now and then instead of shifting on every trade.
      if (this.head > this.capacity) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Trades oldest first, by when DataServer received them (then the venue's time); stable. */
export function oldestFirst(trades: readonly Trade[]): Trade[] {
  return [...trades].sort(
    (a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.timestamp.localeCompare(b.timestamp),
  );
}

export type TradeSink = (t: Trade, history: boolean) => void;

/**
 * Live trades wait here while the history is fetched; then the history goes out oldest first,
 * followed by the held live trades, and every trade is let through once (by source + trade id),
 * so the overlap between history and live is shown a single time.
 */
export class HistoryGate {
  private held: Trade[] | null = [];

  constructor(
    private readonly emit: TradeSink,
    private readonly dedup = new TradeDedup(),
  ) {}

  get isOpen(): boolean {
    return this.held === null;
  }

  live(t: Trade): void {
    if (this.held) this.held.push(t);
    else if (this.dedup.add(t)) this.emit(t, false);
  }

  /** Lets history (any order) and then the held live trades through; later live trades pass at once. */
  open(history: readonly Trade[] = []): void {
    if (!this.held) return;
    const held = this.held;
    this.held = null;
    for (const t of oldestFirst(history)) if (this.dedup.add(t)) this.emit(t, true);
    for (const t of held) if (this.dedup.add(t)) this.emit(t, false);
  }
}

/** A source as `sources.list` answers it, as far as `--history` reads it. */
export interface ListedSource {
  id: string;
  symbols: string[];
}

/** The source/symbol pairs to fetch history for: what the server lists, narrowed by the flags. */
export function historyPairs(
  listed: unknown,
  flags: { source: string; symbols: readonly string[] },
): Array<{ source: string; symbol: string }> {
  if (!Array.isArray(listed)) return [];
  const pairs: Array<{ source: string; symbol: string }> = [];
  for (const s of listed as Array<Partial<ListedSource>>) {
    if (typeof s?.id !== 'string' || !Array.isArray(s.symbols)) continue;
    if (flags.source !== '+' && s.id !== flags.source) continue;
    for (const symbol of s.symbols) {
      if (typeof symbol !== 'string') continue;
      if (flags.symbols.length === 0 || flags.symbols.includes(symbol)) pairs.push({ source: s.id, symbol });
    }
  }
  return pairs;
}

type Call = (method: string, params: Record<string, unknown>) => Promise<unknown>;

/** The last `count` trades of every subscribed source/symbol, over JSON-RPC `trades.recent`. */
export async function fetchHistory(
  call: Call,
  flags: { source: string; symbols: readonly string[] },
  count: number,
): Promise<Trade[]> {
  const pairs = historyPairs(await call('sources.list', {}), flags);
  const batches = await Promise.all(pairs.map((p) => call('trades.recent', { ...p, count })));
  return batches.flatMap((b) => (Array.isArray(b) ? (b as Trade[]) : []));
}
