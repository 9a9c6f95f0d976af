import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Trade, TradeBook } from '../../visualizations/web/src/book.js';

/** The dashboard's per-card trade book (browser code with no DOM in it), checked in Node. */
const base = Date.parse('2026-11-27T10:00:00.000Z');

function trade(id: number, ms = id): Trade {
  return {
    source: 'blockchain',
    symbol: 'BTC-USD',
    tradeId: String(1_000_000 + id),
    price: 100 + id,
    qty: 1,
    side: id % 2 ? 'buy' : 'sell',
    timestamp: new Date(base + ms).toISOString().replace('Z', '123Z'),
    seqnum: id,
    receivedAt: new Date(base + ms).toISOString(),
  };
}

describe('TradeBook', () => {
  it('holds each trade once, in venue-time order, the newest `capacity` of them, whatever the arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 600 }),
        fc.integer({ min: 1, max: 120 }),
        (arrivals, capacity) => {
          const book = new TradeBook(capacity);
          for (const id of arrivals) book.add(trade(id));
          const held = book.latest(Number.MAX_SAFE_INTEGER).map((t) => Number(t.tradeId) - 1_000_000);
          expect(new Set(held).size).toBe(held.length);
          expect(held).toEqual([...held].sort((a, b) => b - a));
          expect(held.length).toBeLessThanOrEqual(Math.ceil(capacity * 1.25));
          // The newest `capacity` distinct trades that arrived are always among those held.
          const newest = [...new Set(arrivals)].sort((a, b) => b - a).slice(0, capacity);
          expect(held.slice(0, newest.length)).toEqual(newest);
        },
      ),
    );
  });

  it('refuses a trade seen again (live, then history, then a gap fill)', () => {
    const book = new TradeBook(10);
    expect(book.add(trade(1))).toBe(true);
    expect(book.add(trade(1))).toBe(false);
    expect(book.add({ ...trade(1), price: 1 })).toBe(false);
    expect(book.size).toBe(1);
  });

  it('orders trades of the same millisecond by trade id, and keeps the chart columns aligned', () => {
    const book = new TradeBook(10);
    for (const id of [3, 1, 2]) book.add(trade(id, 0));
    expect(book.latest(3).map((t) => t.tradeId)).toEqual(['1000003', '1000002', '1000001']);
    const [xs, ys] = book.series();
    expect(xs).toEqual([base / 1000, base / 1000, base / 1000]);
    expect(ys).toEqual([101, 102, 103]);
    expect(book.newest()?.tradeId).toBe('1000003');
  });
});
