import { afterEach, describe, expect, it } from 'vitest';
import { NO_SUBSCRIBE_CLOSE_CODE, startSimulator } from '../../simulator/index.js';
import { resolveOptions } from '../../simulator/options.js';
import {
  type CoinbaseMessage,
  coinbase,
  DOCUMENTED,
  isBeat,
  isMatch,
  isType,
  shape,
  subscribe,
  unsubscribe,
} from './coinbase-helpers.js';
import { Harness, TIMESTAMP_6 } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

describe('heartbeats', () => {
  it('come every heartbeatIntervalMs per subscribed product, in the documented shape', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 20 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['ETH-USD'], ['heartbeat']));
    const beats = await c.collect(isBeat(), 3, 'heartbeats');
    for (const beat of beats) {
      expect(shape(beat)).toEqual(shape(DOCUMENTED.get('heartbeat') as object));
      expect(beat.product_id).toBe('ETH-USD');
      expect(beat.time).toMatch(TIMESTAMP_6);
      // No trade yet: heartbeats alone do not make the market trade.
      expect(beat.last_trade_id).toBe(0);
    }
    // Each heartbeat takes the product's next sequence.
    const sequences = beats.map((b) => b.sequence as number);
    expect(sequences).toEqual(sequences.map((_, i) => (sequences[0] as number) + i));
    expect(c.messages.filter(isBeat('BTC-USD'))).toEqual([]);
  });

  it('carry the last trade id, and share the product sequence with its matches', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 30 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD'], ['matches', 'heartbeat']));
    await c.collect(isBeat(), 3, 'heartbeats');
    const numbered = c.messages.filter((m) => isMatch()(m) || isBeat()(m));
    const sequences = numbered.map((m) => m.sequence as number);
    expect(sequences).toEqual(sequences.map((_, i) => (sequences[0] as number) + i));
    const checked = numbered.filter((m, i) => {
      const lastMatch = numbered.slice(0, i).findLast(isMatch());
      if (!isBeat()(m) || lastMatch === undefined) return false;
      expect(m.last_trade_id).toBe(lastMatch.trade_id);
      return true;
    });
    expect(checked.length).toBeGreaterThanOrEqual(2);
  });

  it('stop on unsubscribe', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 20 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD'], ['heartbeat']));
    await c.collect(isBeat(), 2, 'heartbeats');
    c.send(unsubscribe(['BTC-USD'], ['heartbeat']));
    const answer = await c.waitFor((ms) => ms.filter(isType('subscriptions'))[1], 'the second answer');
    // 40 matches at 200/s span ten beat periods: time measured by the stream, not by a sleep.
    c.send(subscribe(['ETH-USD']));
    await c.collect(isMatch(), 40, 'matches');
    expect(c.messages.slice(c.messages.indexOf(answer)).filter(isBeat())).toEqual([]);
  });
});

describe('errors', () => {
  const cases: Array<[string, string | object, RegExp]> = [
    ['an unknown product', subscribe(['BTC-USDX']), /^BTC-USDX is not a valid product$/],
    ['bad JSON', '{"type":"subscribe",', /Malformed JSON/],
    ['non-object JSON', '["subscribe"]', /JSON object/],
    ['a missing type', { product_ids: ['BTC-USD'], channels: ['matches'] }, /Missing "type"/],
    ['an unknown type', { ...subscribe(['BTC-USD']), type: 'watch' }, /Unknown type "watch"/],
    ['missing channels', { type: 'subscribe', product_ids: ['BTC-USD'] }, /"channels"/],
    ['an unknown channel', subscribe(['BTC-USD'], ['level2']), /level2 is not a valid channel/],
    ['no product ids', subscribe([], ['matches']), /No product ids/],
    ['non-string product ids', { ...subscribe([]), product_ids: [1] }, /"product_ids"/],
  ];

  it.each(cases)('answers %s with the documented error', async (_name, request, reason) => {
    const sim = await h.simulator();
    const c = await coinbase(h, sim);
    c.send(request);
    const error = await c.nth(0);
    expect(error).toEqual({
      type: 'error',
      message: 'Failed to subscribe',
      reason: expect.stringMatching(reason),
    });
    expect(shape(error)).toEqual(shape(DOCUMENTED.get('error+reason') as object));
  });

  it('subscribes nothing on an error, and keeps the connection usable', async () => {
    const sim = await h.simulator();
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD', 'DOGE-USD']));
    c.send(unsubscribe(['DOGE-USD']));
    c.send(subscribe(['BTC-USD']));
    const [first, second, third] = await c.waitFor((ms) => (ms.length >= 3 ? ms : undefined), '3');
    expect(first).toMatchObject({ type: 'error', reason: 'DOGE-USD is not a valid product' });
    expect(second).toMatchObject({ type: 'error', message: 'Failed to unsubscribe' });
    expect(third).toEqual({
      type: 'subscriptions',
      channels: [{ name: 'matches', product_ids: ['BTC-USD'] }],
    });
    await c.find(isMatch('BTC-USD'));
  });
});

describe('the subscribe deadline', () => {
  it('closes a connection that sends no subscribe in time', async () => {
    const sim = await h.simulator({ subscribeTimeoutMs: 150 });
    const start = performance.now();
    const c = await coinbase(h, sim);
    // A failed subscribe does not count.
    c.send(subscribe(['DOGE-USD']));
    const closed = await c.closed;
    expect(closed).toEqual({ code: NO_SUBSCRIBE_CLOSE_CODE, reason: 'No subscribe within 150 ms' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    expect(c.messages.map((m: CoinbaseMessage) => m.type)).toEqual(['error']);
  });

  it('leaves a subscribed connection open, even with nothing subscribed any more', async () => {
    const sim = await h.simulator({ subscribeTimeoutMs: 50, heartbeatIntervalMs: 20 });
    const c = await coinbase(h, sim);
    c.send(subscribe(['BTC-USD'], ['heartbeat']));
    await c.nth(0);
    c.send(unsubscribe(['BTC-USD'], ['heartbeat']));
    c.send(subscribe(['ETH-USD'], ['heartbeat']));
    // Ten beats at 20 ms: four times the deadline, measured by the stream.
    await c.collect(isBeat('ETH-USD'), 10, 'heartbeats');
    expect(sim.connections()).toBe(1);
  });

  it('defaults to 5 s, as the real venue, and applies to Coinbase connections only', async () => {
    expect(resolveOptions({}).subscribeTimeoutMs).toBe(5000);
    await expect(startSimulator({ port: 0, subscribeTimeoutMs: 0 })).rejects.toThrow(/"subscribeTimeoutMs"/);
    const sim = await h.simulator({ subscribeTimeoutMs: 20, heartbeatIntervalMs: 10 });
    const idle = await h.client(sim.url);
    const listener = await coinbase(h, sim);
    listener.send(subscribe(['BTC-USD'], ['heartbeat']));
    await listener.collect(isBeat(), 10, 'heartbeats');
    expect(idle.socket.readyState).toBe(idle.socket.OPEN);
  });
});
