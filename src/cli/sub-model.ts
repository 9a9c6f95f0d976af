import type { Side, Trade } from '../domain/index.js';
import type { SourceStatus } from '../runtime/index.js';

/** Trades per second are counted over this many milliseconds of arrivals. */
export const RATE_WINDOW_MS = 5000;
const MAX_DECIMALS = 8;

/** One source/symbol of the table. */
export interface Row {
  readonly source: string;
  readonly symbol: string;
  last: number;
  /** The price when the client started: the newest history trade, else the first live one. */
  baseline: number;
  /** Fraction digits to show: the most any price of this row had (capped). */
  decimals: number;
  side: Side;
  /** The venue's timestamp text of the last trade. */
  timestamp: string;
  /** Live trades seen (history excluded). */
  count: number;
  /** Client-clock arrival times of recent live trades (the rate window and a little more), oldest first. */
  arrivals: number[];
}

/** The client's own MQTT connection, as the header shows it. */
export type Connection =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'reconnecting'; error: string | null }
  /** Disconnected by the user (`g`, `a`, `t N`); `until` is when it reconnects (null: not yet known). */
  | { state: 'paused'; how: 'graceful' | 'abrupt' | 'drop'; until: number | null }
  | { state: 'closed' };

/** The latest `events/{source}` notification, as far as the table shows it. */
export interface SourceEvent {
  method: string;
  at: number;
  detail: string;
}

function decimalsOf(n: number): number {
  const text = String(n);
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Math.min(MAX_DECIMALS, Number(exp[1]));
  const dot = text.indexOf('.');
  return dot === -1 ? 0 : Math.min(MAX_DECIMALS, text.length - dot - 1);
}

const rowKey = (source: string, symbol: string) => `${source}\u0000${symbol}`;

/**
 * What `sub` knows, updated by messages. No I/O and no clock of its own: every update that
 * depends on time is given `now`, so a test can replay any sequence.
 */
export class SubModel {
  private readonly rowMap = new Map<string, Row>();
  private readonly statusMap = new Map<string, SourceStatus>();
  private readonly eventMap = new Map<string, SourceEvent>();
  /** Live trades seen in total. */
  trades = 0;
  connection: Connection = { state: 'connecting' };
  /** The last thing worth telling the user (command feedback, errors), shown under the table. */
  notice: { text: string; at: number } | null = null;

  constructor(readonly startedAt: number) {}

  /**
   * A trade. History trades (oldest first) set the price the client started from; live ones
   * count towards trades/s.
   */
  trade(t: Trade, now: number, history = false): void {
    if (!Number.isFinite(t.price)) return;
    const key = rowKey(t.source, t.symbol);
    let row = this.rowMap.get(key);
    if (!row) {
      row = {
        source: t.source,
        symbol: t.symbol,
        last: t.price,
        baseline: t.price,
        decimals: 0,
        side: t.side,
        timestamp: t.timestamp,
        count: 0,
        arrivals: [],
      };
      this.rowMap.set(key, row);
    }
    row.last = t.price;
    row.side = t.side;
    row.timestamp = t.timestamp;
    row.decimals = Math.max(row.decimals, decimalsOf(t.price));
    if (history) {
      row.baseline = t.price;
      return;
    }
    row.count++;
    this.trades++;
    row.arrivals.push(now);
    // Pruned in one go about once a second, not per trade: `rate` skips what is too old anyway.
    const from = now - RATE_WINDOW_MS;
    if ((row.arrivals[0] as number) <= from - 1000) {
      let drop = 0;
      while (drop < row.arrivals.length && (row.arrivals[drop] as number) <= from) drop++;
      row.arrivals.splice(0, drop);
    }
  }

  status(s: SourceStatus): void {
    this.statusMap.set(s.source, s);
  }

  /** The retained status was cleared (the source was removed). */
  clearStatus(source: string): void {
    this.statusMap.delete(source);
  }

  event(source: string, method: string, detail: string, now: number): void {
    this.eventMap.set(source, { method, detail, at: now });
  }

  /** Rows sorted by source, then symbol. */
  rows(): Row[] {
    return [...this.rowMap.values()].sort(
      (a, b) => a.source.localeCompare(b.source) || a.symbol.localeCompare(b.symbol),
    );
  }

  /** Statuses sorted by source. */
  statuses(): SourceStatus[] {
    return [...this.statusMap.values()].sort((a, b) => a.source.localeCompare(b.source));
  }

  lastEvent(source: string): SourceEvent | undefined {
    return this.eventMap.get(source);
  }

  /**
   * Live trades per second over the last RATE_WINDOW_MS (or since the start, when that is
   * shorter, but at least a second, so the first trade does not read as a burst).
   */
  rate(row: Row, now: number): number {
    const from = now - RATE_WINDOW_MS;
    let n = 0;
    for (const at of row.arrivals) if (at > from && at <= now) n++;
    const span = Math.max(1000, Math.min(RATE_WINDOW_MS, now - this.startedAt));
    return (n * 1000) / span;
  }
}

/** Price change of a row since the client started: absolute and percent (null if baseline is 0). */
export function changeOf(row: Row): { abs: number; pct: number | null } {
  const abs = row.last - row.baseline;
  return { abs, pct: row.baseline === 0 ? null : (abs / row.baseline) * 100 };
}
