import { describe, expect, it } from 'vitest';
import { Market, mulberry32, startPrice } from '../../simulator/index.js';

const take = (market: Market, n: number) => Array.from({ length: n }, () => market.next());

const decimals = (x: number): number => {
  const [, fraction = ''] = String(x).split('.');
  return String(x).includes('e-') ? Number(String(x).split('e-')[1]) : fraction.length;
};

describe('mulberry32', () => {
  it('is deterministic and uniform in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});

describe('Market', () => {
  it('gives the same ticks for the same seed and symbol', () => {
    expect(take(new Market('BTC-USD', 7), 500)).toEqual(take(new Market('BTC-USD', 7), 500));
  });

  it('gives different ticks for another seed or another symbol', () => {
    const prices = (m: Market) => take(m, 50).map((t) => t.price);
    const base = prices(new Market('BTC-USD', 7));
    expect(prices(new Market('BTC-USD', 8))).not.toEqual(base);
    const other = new Market('XYZ-USD', 7);
    const same = new Market('ABC-USD', 7);
    expect(prices(other)).not.toEqual(prices(same));
  });

  it('starts near the symbol start price', () => {
    expect(startPrice('BTC-USD')).toBe(60_000);
    expect(startPrice('ETH-USD')).toBe(3_000);
    expect(startPrice('DOGE-USD')).toBe(100);
    for (const symbol of ['BTC-USD', 'ETH-USD', 'DOGE-USD']) {
      const first = new Market(symbol, 1).next().price;
      expect(Math.abs(first / startPrice(symbol) - 1)).toBeLessThan(0.01);
    }
  });

  it('walks: consecutive prices differ by small ratios, yet the price does move', () => {
    const prices = take(new Market('BTC-USD', 3), 10_000).map((t) => t.price);
    const ratios = prices.slice(1).map((p, i) => Math.abs(Math.log(p / (prices[i] as number))));
    expect(Math.max(...ratios)).toBeLessThan(0.005);
    expect(new Set(prices).size).toBeGreaterThan(1000);
    // A walk wanders far less than independent draws would: the last price stays near the first.
    expect(Math.abs(Math.log((prices.at(-1) as number) / (prices[0] as number)))).toBeLessThan(0.2);
  });

  it('rounds price to 2 and qty to 8 decimals, with qty > 0 and both sides', () => {
    const ticks = take(new Market('ETH-USD', 11), 5_000);
    const bad = ticks.filter(
      ({ price, qty, side }) =>
        !(
          price > 0 &&
          decimals(price) <= 2 &&
          qty > 0 &&
          decimals(qty) <= 8 &&
          ['buy', 'sell'].includes(side)
        ),
    );
    expect(bad).toEqual([]);
    const buys = ticks.filter((t) => t.side === 'buy').length;
    expect(buys).toBeGreaterThan(2_000);
    expect(buys).toBeLessThan(3_000);
  });
});
