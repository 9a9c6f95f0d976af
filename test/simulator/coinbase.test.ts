import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_TRADE_ID } from '../../simulator/index.js';
import {
  type CoinbaseMessage,
  coinbase,
  DECIMAL,
  DOCUMENTED,
  isMatch,
  isType,
  matching,
  REQUESTS,
  shape,
  subscribe,
  UUID,
  unsubscribe,
} from './coinbase-helpers.js';
import { Harness, isTrade, TestClient, TIMESTAMP_6 } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const documented = (type: string) => DOCUMENTED.get(type) as Record<string, unknown>;
const channelsOf = (m: CoinbaseMessage) => m.channels;

describe('endpoints', () => {
  it('serves Coinbase at /coinbase beside Blockchain.com at /ws, on the same port', async () => {
    const sim = await h.simulator();
    expect(sim.coinbaseUrl).toBe(`ws://127.0.0.1:${sim.port}/coinbase`);
    const cb = await coinbase(h, sim);
    const bc = await h.client(sim.url);
    cb.send(subscribe(['BTC-USD']));
    bc.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    await cb.find(isMatch('BTC-USD'));
    await bc.find(isTrade('BTC-USD'));
    expect(sim.status().connections.map((c) => [c.dialect, c.seqnum === null])).toEqual([
      ['coinbase', true],
      ['blockchain', false],
    ]);
  });

  it.each([
    [['coinbase'], '/ws'],
    [['coinbase'], '/mercury-gateway/v1/ws'],
    [['blockchain'], '/coinbase'],
  ] as const)('with dialects %j refuses %s with 404', async (dialects, path) => {
    const sim = await h.simulator({ dialects: [...dialects] });
    await expect(TestClient.connect(`ws://127.0.0.1:${sim.port}${path}`)).rejects.toThrow(/404/);
  });
});

describe('subscriptions', () => {
  it('answers every (un)subscribe with the full current list, in the documented shape', async () => {
    const sim = await h.simulator();
    const c = await coinbase(h, sim);
    c.send(REQUESTS[0] as string);
    const first = await c.find(isType('subscriptions'));
    expect(shape(first)).toEqual(shape(documented('subscriptions')));
    expect(first.channels).toEqual([
      { name: 'matches', product_ids: ['BTC-USD', 'ETH-USD'] },
      { name: 'heartbeat', product_ids: ['BTC-USD', 'ETH-USD'] },
    ]);
    c.send(REQUESTS[2] as string);
    const answers = await c.collect(isType('subscriptions'), 2, 'answers');
    expect(answers[1]?.channels).toEqual([
      { name: 'matches', product_ids: ['ETH-USD'] },
      { name: 'heartbeat', product_ids: ['BTC-USD', 'ETH-USD'] },
    ]);
    // No product ids: the whole channel.
    c.send({ type: 'unsubscribe', channels: ['heartbeat'] });
    const third = (await c.collect(isType('subscriptions'), 3, 'answers'))[2] as CoinbaseMessage;
    expect(third.channels).toEqual([{ name: 'matches', product_ids: ['ETH-USD'] }]);
    expect(sim.status().connections[0]?.subscriptions).toEqual(['trades:ETH-USD']);
  });

  it('takes channel objects with their own product ids', async () => {
    const sim = await h.simulator();
    const c = await coinbase(h, sim);
    c.send(REQUESTS[1] as string);
    c.send({ type: 'subscribe', product_ids: ['ETH-USD'], channels: [{ name: 'heartbeat' }] });
    const [, second] = await c.collect(isType('subscriptions'), 2, 'answers');
    expect(channelsOf(second as CoinbaseMessage)).toEqual([
      { name: 'matches', product_ids: ['BTC-USD'] },
      { name: 'heartbeat', product_ids: ['ETH-USD'] },
    ]);
    expect(sim.status().connections[0]?.subscriptions).toEqual(['trades:BTC-USD', 'heartbeat:ETH-USD']);
    await c.find(isMatch('BTC-USD'));
  });

  it('answers an unsubscribe from nothing with the (empty) list, and stops the matches', async () => {
    const sim = await h.simulator();
    const c = await coinbase(h, sim);
    c.send(unsubscribe(['BTC-USD']));
    expect(await c.nth(0)).toEqual({ type: 'subscriptions', channels: [] });
    c.send(subscribe(['BTC-USD']));
    await c.collect(isMatch(), 5, 'matches');
    c.send(unsubscribe(['BTC-USD']));
    const answer = await c.waitFor(
      (ms) => ms.filter(isType('subscriptions'))[2],
      'the third subscriptions answer',
    );
    c.send(subscribe(['ETH-USD']));
    await c.collect(isMatch('ETH-USD'), 30, 'ETH matches');
    const after = c.messages.slice(c.messages.indexOf(answer));
    expect(after.filter(isMatch('BTC-USD'))).toEqual([]);
  });
});

describe('matches', () => {
  it('have the documented keys, order and types', async () => {
    const sim = await h.simulator();
    const c = await matching(h, sim, ['BTC-USD'], 50);
    const matches = c.messages.filter(isMatch());
    expect(matches[0]?.trade_id).toBe(FIRST_TRADE_ID);
    for (const m of matches) {
      expect(shape(m)).toEqual(shape(documented('match')));
      expect(m.time).toMatch(TIMESTAMP_6);
      expect(m.maker_order_id).toMatch(UUID);
      expect(m.taker_order_id).toMatch(UUID);
      expect(m.maker_order_id).not.toBe(m.taker_order_id);
      expect(m.size).toMatch(DECIMAL);
      expect(m.price).toMatch(DECIMAL);
      expect(['buy', 'sell']).toContain(m.side);
    }
    expect(new Set(matches.map((m) => m.taker_order_id)).size).toBe(matches.length);
  });

  it('after a subscribe: the subscriptions answer, last_match (the newest trade), then matches', async () => {
    const sim = await h.simulator();
    const first = await matching(h, sim, ['BTC-USD'], 10);
    // Nothing had traded before the first subscribe: no last_match.
    expect(first.messages.filter(isType('last_match'))).toEqual([]);
    const later = await coinbase(h, sim);
    later.send(subscribe(['BTC-USD', 'ETH-USD']));
    const [answer, last, ...rest] = await later.waitFor(
      (ms) => (ms.length >= 5 ? ms.slice(0, 5) : undefined),
      '5 messages',
    );
    expect(answer?.type).toBe('subscriptions');
    expect(last?.type).toBe('last_match');
    expect(shape(last as CoinbaseMessage)).toEqual(shape(documented('last_match')));
    // ETH had never traded: BTC's last_match only, and it is the trade the first connection saw last.
    expect(rest.every(isMatch())).toBe(true);
    const lastId = last?.trade_id as number;
    const onFirst = await first.find((m) => m.trade_id === lastId, 'the last_match trade on the first');
    expect({ ...onFirst, type: 'last_match' }).toEqual(last);
    const next = await later.find(isMatch('BTC-USD'), 'the first BTC match');
    expect(next.sequence).toBe((last?.sequence as number) + 1);
    expect(next.trade_id).toBeGreaterThan(lastId);
  });

  it('carry per-product sequences, the same on every connection', async () => {
    const sim = await h.simulator();
    const a = await coinbase(h, sim);
    const b = await coinbase(h, sim);
    a.send(subscribe(['BTC-USD', 'ETH-USD']));
    await a.collect(isMatch(), 10, 'matches on a');
    b.send(subscribe(['BTC-USD', 'ETH-USD']));
    const onB = await b.collect(isMatch(), 100, 'matches on b');
    const lastId = onB.at(-1)?.trade_id;
    await a.find((m) => m.trade_id === lastId, 'the same trade on a');
    const onA = new Map(a.messages.filter(isMatch()).map((m) => [m.trade_id, m]));
    for (const m of onB) expect(onA.get(m.trade_id)).toEqual(m);
    for (const product of ['BTC-USD', 'ETH-USD']) {
      const sequences = a.messages.filter(isMatch(product)).map((m) => m.sequence as number);
      expect(sequences.length).toBeGreaterThan(5);
      expect(sequences).toEqual(sequences.map((_, i) => (sequences[0] as number) + i));
    }
    const ids = a.messages.filter(isMatch()).map((m) => m.trade_id);
    expect(ids).toEqual(ids.map((_, i) => FIRST_TRADE_ID + i));
  });

  it('are the very trades the Blockchain.com dialect sends, with the maker side', async () => {
    const sim = await h.simulator();
    const bc = await h.client(sim.url);
    const cb = await coinbase(h, sim);
    bc.send({ action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' });
    cb.send(subscribe(['BTC-USD']));
    const matches = await cb.collect(isMatch(), 60, 'matches');
    const lastId = String(matches.at(-1)?.trade_id);
    await bc.find((m) => m.trade_id === lastId, 'the same trade on the blockchain connection');
    const trades = new Map(bc.messages.filter(isTrade()).map((t) => [t.trade_id, t]));
    const sides = new Set<string>();
    for (const m of matches) {
      const t = trades.get(String(m.trade_id));
      expect(t, `trade ${m.trade_id}`).toBeDefined();
      expect(Number(m.price)).toBe(t?.price);
      expect(Number(m.size)).toBe(t?.qty);
      expect(m.time).toBe(t?.timestamp);
      expect(m.side).toBe(t?.side === 'buy' ? 'sell' : 'buy');
      sides.add(m.side as string);
    }
    expect(sides).toEqual(new Set(['buy', 'sell']));
  });
});
