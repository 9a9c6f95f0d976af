import { afterEach, describe, expect, it } from 'vitest';
import { createSentLog, Ring, SENT_LOG_LIMIT } from '../../simulator/index.js';
import { Harness, isTrade, type TestClient } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const sub = (symbol: string) => ({ action: 'subscribe', channel: 'trades', symbol });

const received = (c: TestClient) =>
  c.messages.filter(isTrade()).map((t) => ({ symbol: t.symbol, tradeId: t.trade_id, seqnum: t.seqnum }));

describe('sent log', () => {
  it('is off by default', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(sub('BTC-USD'));
    await c.collect(isTrade(), 5, 'trades');
    expect(sim.sent()).toEqual([]);
  });

  it('records exactly the trades each connection was sent, in order', async () => {
    const sim = await h.simulator({ recordSent: true });
    const a = await h.client(sim.url);
    const b = await h.client(sim.url);
    a.send(sub('BTC-USD'));
    b.send(sub('BTC-USD'));
    b.send(sub('ETH-USD'));
    await a.collect(isTrade(), 20, 'trades on a');
    await b.collect(isTrade('ETH-USD'), 20, 'ETH trades on b');
    // A graceful close delivers everything written before it, so the clients saw all that was sent.
    sim.fault({ kind: 'graceful' });
    await Promise.all([a.closed, b.closed]);

    const sent = sim.sent();
    const of = (connection: number) =>
      sent
        .filter((s) => s.connection === connection)
        .map(({ symbol, tradeId, seqnum, replay }) => {
          expect(replay).toBe(false);
          return { symbol, tradeId, seqnum };
        });
    expect(of(1)).toEqual(received(a));
    expect(of(2)).toEqual(received(b));
    expect(sent.length).toBe(received(a).length + received(b).length);
    expect(sim.status().counters.tradesSent).toBe(sent.length);
  });

  it('is bounded, dropping the oldest entries', () => {
    expect(SENT_LOG_LIMIT).toBe(1_000_000);
    const log = createSentLog(3);
    for (let i = 0; i < 5; i++) {
      log.push({
        connection: 1,
        dialect: 'blockchain',
        symbol: 'BTC-USD',
        tradeId: String(i),
        seqnum: i,
        replay: false,
        lastMatch: false,
      });
    }
    expect(log.size).toBe(3);
    expect(log.toArray().map((s) => s.tradeId)).toEqual(['2', '3', '4']);
  });
});

describe('Ring', () => {
  it('keeps the newest entries in order and gives the last n', () => {
    const ring = new Ring<number>(4);
    expect(ring.toArray()).toEqual([]);
    expect(ring.last(2)).toEqual([]);
    for (let i = 1; i <= 3; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2, 3]);
    for (let i = 4; i <= 10; i++) ring.push(i);
    expect(ring.toArray()).toEqual([7, 8, 9, 10]);
    expect(ring.last(2)).toEqual([9, 10]);
    expect(ring.last(9)).toEqual([7, 8, 9, 10]);
    expect(ring.last(0)).toEqual([]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});
