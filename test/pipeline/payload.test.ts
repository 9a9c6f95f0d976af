import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Trade, tradeToJson } from '../../src/domain/index.js';
import { PayloadWriter } from '../../src/pipeline/index.js';

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

describe('PayloadWriter', () => {
  it('writes exactly what tradeToJson writes, whatever the strings and numbers', () => {
    fc.assert(
      fc.property(trade, (t: Trade) => {
        expect(new PayloadWriter(t.source, t.symbol).write(t)).toBe(tradeToJson(t));
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
    const written = new PayloadWriter(t.source, t.symbol).write(t);
    expect(written).toBe(tradeToJson(t));
    expect(JSON.parse(written)).toEqual(t);
  });
});
