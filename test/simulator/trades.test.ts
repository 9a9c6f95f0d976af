import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_TRADE_ID, Market } from '../../simulator/index.js';
import { Harness, isTrade, micros, TIMESTAMP_6, type WireMessage } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const sub = (symbol: string) => ({ action: 'subscribe', channel: 'trades', symbol });
const unsub = (symbol: string) => ({ action: 'unsubscribe', channel: 'trades', symbol });
const content = ({ seqnum: _, ...rest }: WireMessage) => rest;

describe('trades', () => {
  it('have the documented shape, key order and number formats', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(sub('BTC-USD'));
    const trades = await c.collect(isTrade(), 50, 'trades');
    expect(trades[0]?.trade_id).toBe(String(FIRST_TRADE_ID));
    for (const t of trades) {
      expect(Object.keys(t)).toEqual([
        'seqnum',
        'event',
        'channel',
        'symbol',
        'timestamp',
        'side',
        'qty',
        'price',
        'trade_id',
      ]);
      expect(t.symbol).toBe('BTC-USD');
      expect(t.timestamp).toMatch(TIMESTAMP_6);
      expect(['buy', 'sell']).toContain(t.side);
      expect(t.qty).toBeGreaterThan(0);
      expect(Math.round((t.qty as number) * 1e8) / 1e8).toBe(t.qty);
      expect(Math.round((t.price as number) * 100) / 100).toBe(t.price);
      expect(t.trade_id).toMatch(/^\d+$/);
    }
  });

  it('arrive at the configured rate, for subscribed symbols only', async () => {
    const sim = await h.simulator({ rate: 200 });
    const c = await h.client(sim.url);
    const sent = performance.now();
    c.send(sub('BTC-USD'));
    const trades = await c.collect(isTrade(), 100, 'trades');
    const elapsed = performance.now() - sent;
    // The 100th trade is due 500 ms after the subscribe, never earlier.
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(3000);
    const span = micros(trades[99]?.timestamp as string) - micros(trades[0]?.timestamp as string);
    expect(Math.abs(span - 99 * 5000)).toBeLessThanOrEqual(1);
    expect(c.messages.filter(isTrade('ETH-USD'))).toEqual([]);
  });

  it('keep an exact rate far above the timer resolution', async () => {
    const sim = await h.simulator({ rate: 5000 });
    const c = await h.client(sim.url);
    c.send(sub('ETH-USD'));
    const trades = await c.collect(isTrade(), 2000, 'trades');
    const span = micros(trades[1999]?.timestamp as string) - micros(trades[0]?.timestamp as string);
    expect(Math.abs(span - 1999 * 200)).toBeLessThanOrEqual(1);
    const stamps = trades.map((t) => micros(t.timestamp as string));
    expect(stamps.every((s, i) => i === 0 || s > (stamps[i - 1] as number))).toBe(true);
  });

  it('stop after unsubscribe', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(sub('BTC-USD'));
    await c.collect(isTrade('BTC-USD'), 10, 'BTC trades');
    c.send(unsub('BTC-USD'));
    const ack = await c.find((m) => m.event === 'unsubscribed');
    c.send(sub('ETH-USD'));
    // 30 ETH trades take 150 ms at 200/s: BTC would have produced about as many by then.
    await c.collect(isTrade('ETH-USD'), 30, 'ETH trades');
    expect(c.messages.filter((m) => isTrade('BTC-USD')(m) && m.seqnum > ack.seqnum)).toEqual([]);
  });

  it('are the same market events for every subscribed connection, each with its own seqnum', async () => {
    const sim = await h.simulator();
    const a = await h.client(sim.url);
    const b = await h.client(sim.url);
    a.send(sub('BTC-USD'));
    await a.collect(isTrade(), 5, 'trades on a');
    b.send(sub('BTC-USD'));
    const onB = await b.collect(isTrade(), 30, 'trades on b');
    const last = onB.at(-1)?.trade_id;
    await a.find((m) => m.trade_id === last, `trade ${last} on a`);
    const onA = new Map(a.messages.filter(isTrade()).map((t) => [t.trade_id, t]));
    for (const t of onB) expect(content(onA.get(t.trade_id) as WireMessage)).toEqual(content(t));
    expect(onB.map((t) => t.seqnum)).toEqual(onB.map((_, i) => i + 1));
    expect(onA.get(onB[0]?.trade_id)?.seqnum).not.toBe(onB[0]?.seqnum);
  });

  it('have ids unique across symbols and connections', async () => {
    const sim = await h.simulator();
    const a = await h.client(sim.url);
    const b = await h.client(sim.url);
    for (const c of [a, b]) {
      c.send(sub('BTC-USD'));
      c.send(sub('ETH-USD'));
    }
    const onA = await a.collect(isTrade(), 200, 'trades on a');
    await b.collect(isTrade(), 200, 'trades on b');
    expect(new Set(onA.map((t) => t.trade_id)).size).toBe(200);
    const byId = new Map<string | undefined, WireMessage>();
    for (const t of [...a.messages, ...b.messages].filter(isTrade())) {
      const seen = byId.get(t.trade_id);
      if (seen) expect(content(seen)).toEqual(content(t));
      byId.set(t.trade_id, t);
    }
  });

  it('follow the seeded walk, which only advances while someone is subscribed', async () => {
    const sim = await h.simulator({ seed: 5 });
    const c = await h.client(sim.url);
    c.send(sub('BTC-USD'));
    await c.collect(isTrade('BTC-USD'), 10, 'BTC trades');
    c.send(unsub('BTC-USD'));
    await c.find((m) => m.event === 'unsubscribed');
    c.send(sub('ETH-USD'));
    await c.collect(isTrade('ETH-USD'), 10, 'ETH trades');
    c.send(sub('BTC-USD'));
    await c.collect(isTrade('BTC-USD'), 30, 'BTC trades after resubscribing');

    for (const symbol of ['BTC-USD', 'ETH-USD']) {
      const got = c.messages.filter(isTrade(symbol)).map(({ price, qty, side }) => ({ price, qty, side }));
      const market = new Market(symbol, 5);
      expect(got).toEqual(got.map(() => market.next()));
    }
    const ids = c.messages.filter(isTrade()).map((t) => Number(t.trade_id));
    expect(ids).toEqual(ids.map((_, i) => FIRST_TRADE_ID + i));
  });

  it('repeat exactly for the same seed', async () => {
    const first = async (seed: number): Promise<Array<Omit<WireMessage, 'seqnum' | 'timestamp'>>> => {
      const sim = await h.simulator({ seed });
      const c = await h.client(sim.url);
      c.send(sub('ETH-USD'));
      const trades = await c.collect(isTrade(), 20, 'trades');
      return trades.map(({ seqnum: _s, timestamp: _t, ...rest }) => rest);
    };
    const [a, b, other] = await Promise.all([first(9), first(9), first(10)]);
    expect(a).toEqual(b);
    expect(other.map((t) => t.price)).not.toEqual(a?.map((t) => t.price));
  });
});

describe('trade ids across restarts', () => {
  it('never repeat: a restarted simulator starts above every id of the earlier run', async () => {
    const firstRun = await h.simulator({ firstTradeId: undefined });
    const a = await h.client(firstRun.url);
    a.send(sub('BTC-USD'));
    const before = await a.collect(isTrade(), 20, 'trades of the first run');
    await firstRun.close();

    const secondRun = await h.simulator({ firstTradeId: undefined });
    const b = await h.client(secondRun.url);
    b.send(sub('BTC-USD'));
    const after = await b.collect(isTrade(), 5, 'trades of the second run');
    const lastBefore = Math.max(...before.map((t) => Number(t.trade_id)));
    expect(Math.min(...after.map((t) => Number(t.trade_id)))).toBeGreaterThan(lastBefore);
  });
});
