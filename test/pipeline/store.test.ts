import { describe, expect, it } from 'vitest';
import type { Trade } from '../../src/domain/index.js';
import { TradeRing, TradeStore } from '../../src/pipeline/index.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');

/** A trade received `ms` milliseconds after T0. */
function trade(tradeId: string, ms: number, over: Partial<Trade> = {}): Trade {
  return {
    source: 'blockchain',
    symbol: 'BTC-USD',
    tradeId,
    price: 100 + ms,
    qty: 1,
    side: 'buy',
    timestamp: '2024-01-15T10:30:45Z',
    seqnum: ms,
    receivedAt: new Date(T0 + ms).toISOString(),
    ...over,
  };
}

const ids = (trades: Trade[]) => trades.map((t) => t.tradeId);

describe('TradeRing', () => {
  it('returns trades newest first', () => {
    const ring = new TradeRing(10);
    for (const id of ['1', '2', '3']) ring.push(trade(id, Number(id)));
    expect(ids(ring.newest(10))).toEqual(['3', '2', '1']);
    expect(ring.size).toBe(3);
  });

  it('keeps only the newest `capacity` trades', () => {
    const ring = new TradeRing(3);
    for (let i = 1; i <= 7; i++) ring.push(trade(String(i), i));
    expect(ring.size).toBe(3);
    expect(ids(ring.newest(100))).toEqual(['7', '6', '5']);
  });

  it('returns at most `count` trades', () => {
    const ring = new TradeRing(5);
    for (let i = 1; i <= 5; i++) ring.push(trade(String(i), i));
    expect(ids(ring.newest(2))).toEqual(['5', '4']);
    expect(ring.newest(0)).toEqual([]);
    expect(ring.newest(-3)).toEqual([]);
  });

  it('is empty before the first push', () => {
    const ring = new TradeRing(4);
    expect(ring.size).toBe(0);
    expect(ring.newest(4)).toEqual([]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new TradeRing(0)).toThrow(RangeError);
    expect(() => new TradeRing(2.5)).toThrow(RangeError);
  });
});

describe('TradeStore', () => {
  it('returns a symbol of a source newest first', () => {
    const store = new TradeStore(100);
    for (let i = 1; i <= 4; i++) store.add(trade(`t${i}`, i));
    expect(ids(store.recent('BTC-USD', { source: 'blockchain' }))).toEqual(['t4', 't3', 't2', 't1']);
  });

  it('keeps at most maxTradesPerSymbol trades per source/symbol, dropping the oldest', () => {
    const store = new TradeStore(3);
    for (let i = 1; i <= 10; i++) store.add(trade(`t${i}`, i));
    expect(ids(store.recent('BTC-USD', { source: 'blockchain', count: 100 }))).toEqual(['t10', 't9', 't8']);
    expect(store.sizes()).toEqual({ 'blockchain/BTC-USD': 3 });
  });

  it('bounds each source/symbol on its own', () => {
    const store = new TradeStore(2);
    for (let i = 1; i <= 5; i++) store.add(trade(`b${i}`, i));
    store.add(trade('e1', 6, { symbol: 'ETH-USD' }));
    store.add(trade('x1', 7, { source: 'other' }));
    expect(store.sizes()).toEqual({ 'blockchain/BTC-USD': 2, 'blockchain/ETH-USD': 1, 'other/BTC-USD': 1 });
  });

  it('keeps symbols apart', () => {
    const store = new TradeStore(100);
    store.add(trade('b1', 1));
    store.add(trade('e1', 2, { symbol: 'ETH-USD' }));
    store.add(trade('b2', 3));
    expect(ids(store.recent('BTC-USD', { source: 'blockchain' }))).toEqual(['b2', 'b1']);
    expect(ids(store.recent('ETH-USD', { source: 'blockchain' }))).toEqual(['e1']);
  });

  it('keeps sources apart when a source is named', () => {
    const store = new TradeStore(100);
    store.add(trade('a1', 1, { source: 'a' }));
    store.add(trade('b1', 2, { source: 'b' }));
    store.add(trade('a2', 3, { source: 'a' }));
    expect(ids(store.recent('BTC-USD', { source: 'a' }))).toEqual(['a2', 'a1']);
    expect(ids(store.recent('BTC-USD', { source: 'b' }))).toEqual(['b1']);
  });

  it('without a source, merges every source of the symbol newest first', () => {
    const store = new TradeStore(100);
    store.add(trade('a1', 1, { source: 'a' }));
    store.add(trade('b1', 2, { source: 'b' }));
    store.add(trade('a2', 3, { source: 'a' }));
    store.add(trade('e1', 4, { source: 'a', symbol: 'ETH-USD' }));
    store.add(trade('b2', 5, { source: 'b' }));
    expect(ids(store.recent('BTC-USD'))).toEqual(['b2', 'a2', 'b1', 'a1']);
  });

  it('without a source, the count applies to the merged result', () => {
    const store = new TradeStore(100);
    for (let i = 1; i <= 6; i++) store.add(trade(`t${i}`, i, { source: i % 2 ? 'a' : 'b' }));
    expect(ids(store.recent('BTC-USD', { count: 3 }))).toEqual(['t6', 't5', 't4']);
  });

  it('without a source, trades received in the same millisecond come newest (last added) first', () => {
    // At thousands of trades a second many share a millisecond; arrival order must still hold.
    const store = new TradeStore(100);
    store.add(trade('a1', 0, { source: 'a' }));
    store.add(trade('b1', 0, { source: 'b' }));
    store.add(trade('a2', 0, { source: 'a' }));
    expect(ids(store.recent('BTC-USD'))).toEqual(['a2', 'b1', 'a1']);
  });

  it('does not mix in a symbol that merely ends like the one asked for', () => {
    const store = new TradeStore(100);
    store.add(trade('u1', 1, { symbol: 'BTC-USD' }));
    store.add(trade('u2', 2, { symbol: 'XBTC-USD' }));
    expect(ids(store.recent('BTC-USD'))).toEqual(['u1']);
  });

  it('returns at most 100 trades by default and `count` when given', () => {
    const store = new TradeStore(1000);
    for (let i = 1; i <= 150; i++) store.add(trade(`t${i}`, i));
    const byDefault = store.recent('BTC-USD', { source: 'blockchain' });
    expect(byDefault).toHaveLength(100);
    expect(byDefault[0]?.tradeId).toBe('t150');
    expect(byDefault[99]?.tradeId).toBe('t51');
    expect(store.recent('BTC-USD')).toHaveLength(100);
    expect(ids(store.recent('BTC-USD', { source: 'blockchain', count: 2 }))).toEqual(['t150', 't149']);
    expect(store.recent('BTC-USD', { count: 0 })).toEqual([]);
  });

  it('answers an unknown symbol or source with no trades', () => {
    const store = new TradeStore(10);
    store.add(trade('t1', 1));
    expect(store.recent('DOGE-USD')).toEqual([]);
    expect(store.recent('BTC-USD', { source: 'nobody' })).toEqual([]);
  });

  it('returns the stored trades unchanged', () => {
    const store = new TradeStore(10);
    const t = trade('t1', 1);
    store.add(t);
    expect(store.recent('BTC-USD')).toStrictEqual([t]);
  });
});
