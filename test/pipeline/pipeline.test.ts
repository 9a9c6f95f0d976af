import { describe, expect, it } from 'vitest';
import type { Trade } from '../../src/domain/index.js';
import { Pipeline, TradeStore } from '../../src/pipeline/index.js';
import { CONTRACT_TRADE_FIELDS } from '../helpers/contract.js';

/** The normalized trade example of CONTRACT §3, field for field. */
const CONTRACT_TRADE: Trade = {
  source: 'blockchain',
  symbol: 'BTC-USD',
  tradeId: '12884909920',
  price: 11252.4,
  qty: 0.000085,
  side: 'sell',
  timestamp: '2019-08-13T11:30:06.100140Z',
  seqnum: 21,
  receivedAt: '2026-11-27T10:00:00.123Z',
};

const CONTRACT_PAYLOAD =
  '{"source":"blockchain","symbol":"BTC-USD","tradeId":"12884909920","price":11252.4,"qty":0.000085,' +
  '"side":"sell","timestamp":"2019-08-13T11:30:06.100140Z","seqnum":21,"receivedAt":"2026-11-27T10:00:00.123Z"}';

function trade(over: Partial<Trade> = {}): Trade {
  return { ...CONTRACT_TRADE, ...over };
}

interface Published {
  topic: string;
  payload: Buffer;
}

function setUp(options: { maxTradesPerSymbol?: number; dedupWindow?: number } = {}) {
  const store = new TradeStore(options.maxTradesPerSymbol ?? 100);
  const published: Published[] = [];
  const pipeline = new Pipeline({
    store,
    publish: (topic, payload) => published.push({ topic, payload }),
    ...(options.dedupWindow === undefined ? {} : { dedupWindow: options.dedupWindow }),
  });
  const payloads = () => published.map((p) => JSON.parse(p.payload.toString('utf8')) as Trade);
  return { store, published, pipeline, payloads };
}

describe('Pipeline: publishing', () => {
  it('publishes a trade on trades/{source}/{symbol}', () => {
    const { pipeline, published } = setUp();
    expect(pipeline.ingest(trade({ source: 'venue-2', symbol: 'ETH-EUR' }))).toBe(true);
    expect(published.map((p) => p.topic)).toEqual(['trades/venue-2/ETH-EUR']);
  });

  it('publishes the contract example as the contract spells it', () => {
    const { pipeline, published } = setUp();
    pipeline.ingest(CONTRACT_TRADE);
    expect(published).toHaveLength(1);
    expect(Buffer.isBuffer(published[0]?.payload)).toBe(true);
    expect(published[0]?.payload.toString('utf8')).toBe(CONTRACT_PAYLOAD);
  });

  it('writes the payload fields in the contract order, whatever order the trade object has', () => {
    const { pipeline, payloads } = setUp();
    const reversed = Object.fromEntries(
      Object.entries(trade({ tradeId: 'r1' })).reverse(),
    ) as unknown as Trade;
    pipeline.ingest(reversed);
    const [payload] = payloads();
    expect(Object.keys(payload!)).toEqual(CONTRACT_TRADE_FIELDS);
    expect(payload).toEqual(trade({ tradeId: 'r1' }));
  });

  it('stores what it publishes', () => {
    const { pipeline, store } = setUp();
    pipeline.ingest(trade({ tradeId: 'a' }));
    pipeline.ingest(trade({ tradeId: 'b' }));
    expect(store.recent('BTC-USD', { source: 'blockchain' }).map((t) => t.tradeId)).toEqual(['b', 'a']);
  });
});

describe('Pipeline: duplicates', () => {
  it('a repeated tradeId of the same source/symbol is neither stored nor published, and is counted', () => {
    const { pipeline, published, store } = setUp();
    expect(pipeline.ingest(trade({ tradeId: 'x', seqnum: 1 }))).toBe(true);
    // Replayed after a reconnect: new seqnum, same trade.
    expect(pipeline.ingest(trade({ tradeId: 'x', seqnum: 7, price: 1 }))).toBe(false);
    expect(published).toHaveLength(1);
    expect(store.recent('BTC-USD')).toHaveLength(1);
    expect(store.recent('BTC-USD')[0]?.seqnum).toBe(1);
    expect(pipeline.stats).toEqual({ received: 2, duplicates: 1, published: 1 });
  });

  it('the same tradeId on another symbol is not a duplicate', () => {
    const { pipeline, published } = setUp();
    expect(pipeline.ingest(trade({ tradeId: 'x', symbol: 'BTC-USD' }))).toBe(true);
    expect(pipeline.ingest(trade({ tradeId: 'x', symbol: 'ETH-USD' }))).toBe(true);
    expect(published.map((p) => p.topic)).toEqual(['trades/blockchain/BTC-USD', 'trades/blockchain/ETH-USD']);
    expect(pipeline.stats.duplicates).toBe(0);
  });

  it('the same tradeId from another source is not a duplicate', () => {
    const { pipeline, published, store } = setUp();
    expect(pipeline.ingest(trade({ tradeId: 'x', source: 'a' }))).toBe(true);
    expect(pipeline.ingest(trade({ tradeId: 'x', source: 'b' }))).toBe(true);
    expect(published.map((p) => p.topic)).toEqual(['trades/a/BTC-USD', 'trades/b/BTC-USD']);
    expect(store.recent('BTC-USD')).toHaveLength(2);
    expect(pipeline.stats.duplicates).toBe(0);
  });

  it('counts every trade received, every duplicate and every trade published', () => {
    const { pipeline } = setUp();
    for (const id of ['a', 'b', 'a', 'c', 'b', 'a']) pipeline.ingest(trade({ tradeId: id }));
    expect(pipeline.stats).toEqual({ received: 6, duplicates: 3, published: 3 });
  });

  it('remembers only the last `dedupWindow` trade ids per source/symbol', () => {
    const { pipeline, published } = setUp({ dedupWindow: 2 });
    for (const id of ['a', 'b', 'c']) pipeline.ingest(trade({ tradeId: id }));
    expect(pipeline.ingest(trade({ tradeId: 'c' }))).toBe(false);
    // 'a' has left the window of two.
    expect(pipeline.ingest(trade({ tradeId: 'a' }))).toBe(true);
    expect(published).toHaveLength(4);
  });

  it('by default remembers at least as many ids as the store keeps per symbol', () => {
    const { pipeline } = setUp({ maxTradesPerSymbol: 20_000 });
    for (let i = 0; i < 20_000; i++) pipeline.ingest(trade({ tradeId: String(i) }));
    expect(pipeline.ingest(trade({ tradeId: '0' }))).toBe(false);
  });

  it('forgetSource forgets that source only', () => {
    const { pipeline } = setUp();
    pipeline.ingest(trade({ tradeId: 'x', source: 'a' }));
    pipeline.ingest(trade({ tradeId: 'x', source: 'ab' }));
    pipeline.forgetSource('a');
    expect(pipeline.ingest(trade({ tradeId: 'x', source: 'a' }))).toBe(true);
    expect(pipeline.ingest(trade({ tradeId: 'x', source: 'ab' }))).toBe(false);
  });
});
