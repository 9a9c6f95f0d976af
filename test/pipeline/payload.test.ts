import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Trade, TradeJsonWriter, tradeToJson } from '../../src/domain/index.js';

/** The contract's payload by definition: JSON.stringify of the fields in CONTRACT §3 order. */
const reference = (t: Trade): string =>
  JSON.stringify({
    source: t.source,
    symbol: t.symbol,
    tradeId: t.tradeId,
    price: t.price,
    qty: t.qty,
    side: t.side,
    timestamp: t.timestamp,
    seqnum: t.seqnum,
    receivedAt: t.receivedAt,
  });

const trade = fc.record({
  source: fc.string(),
  symbol: fc.string(),
  tradeId: fc.string({ unit: 'binary' }),
  price: fc.double(),
  qty: fc.double(),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  timestamp: fc.string(),
  seqnum: fc.oneof(fc.integer(), fc.double()),
  receivedAt: fc.string(),
});

describe('TradeJsonWriter and tradeToJson', () => {
  it('write exactly what JSON.stringify of the contract-ordered trade writes, whatever the strings and numbers', () => {
    fc.assert(
      fc.property(trade, (t: Trade) => {
        expect(new TradeJsonWriter(t.source, t.symbol).write(t)).toBe(reference(t));
        expect(tradeToJson(t)).toBe(reference(t));
      }),
      { numRuns: 2_000 },
    );
  });

  it('escapes quotes, backslashes, control characters and lone surrogates in a trade id', () => {
    const t: Trade = {
      source: 'blockchain',
      symbol: 'BTC-USD',
      tradeId: 'a"b\\c\n\u0001\ud800',
      price: 1e21,
      qty: 5e-7,
      side: 'buy',
      timestamp: '2026-11-27T10:00:00Z',
      seqnum: 0,
      receivedAt: '2026-11-27T10:00:00.000Z',
    };
    const written = new TradeJsonWriter(t.source, t.symbol).write(t);
    expect(written).toBe(reference(t));
    expect(tradeToJson(t)).toBe(written);
    expect(JSON.parse(written)).toEqual(t);
  });
});
