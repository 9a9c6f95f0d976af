import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs, Harness, isHeartbeat, isTrade, TIMESTAMP_6, type WireMessage } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const BTC = { action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' };

describe('acks', () => {
  it('acknowledges subscribe and unsubscribe with the documented shapes', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    await c.nth(0);
    c.send({ action: 'unsubscribe', channel: 'heartbeat' });
    await c.nth(1);
    expect(c.raw.slice(0, 2)).toEqual([
      '{"seqnum":0,"event":"subscribed","channel":"heartbeat"}',
      '{"seqnum":1,"event":"unsubscribed","channel":"heartbeat"}',
    ]);

    c.send(BTC);
    const sub = await c.find((m) => m.event === 'subscribed' && m.channel === 'trades');
    expect(c.raw[c.messages.indexOf(sub)]).toBe(
      '{"seqnum":2,"event":"subscribed","channel":"trades","symbol":"BTC-USD"}',
    );
    await c.find(isTrade('BTC-USD'));
    c.send({ ...BTC, action: 'unsubscribe' });
    const unsub = await c.find((m) => m.event === 'unsubscribed' && m.channel === 'trades');
    expect(c.raw[c.messages.indexOf(unsub)]).toBe(
      `{"seqnum":${unsub.seqnum},"event":"unsubscribed","channel":"trades","symbol":"BTC-USD"}`,
    );
  });

  it('acks a repeated subscribe again without duplicating trades', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(BTC);
    c.send(BTC);
    const acks = await c.collect((m) => m.event === 'subscribed', 2, 'acks');
    expect(acks.map((m) => m.symbol)).toEqual(['BTC-USD', 'BTC-USD']);
    const trades = await c.collect(isTrade(), 40, 'trades');
    expect(new Set(trades.map((t) => t.trade_id)).size).toBe(40);
  });
});

describe('rejections', () => {
  const cases: Array<[string, string | object, RegExp, { channel?: string; symbol?: string }]> = [
    ['bad JSON', '{"action":"subscribe",', /not valid JSON/, {}],
    ['non-object JSON', '[1,2,3]', /JSON object/, {}],
    ['a missing channel', { action: 'subscribe' }, /Missing "channel"/, {}],
    [
      'an unknown channel',
      { action: 'subscribe', channel: 'candles' },
      /Unknown channel/,
      { channel: 'candles' },
    ],
    [
      'a missing symbol',
      { action: 'subscribe', channel: 'trades' },
      /Missing "symbol"/,
      { channel: 'trades' },
    ],
    [
      'an unknown symbol',
      { ...BTC, symbol: 'DOGE-USD' },
      /Unknown symbol "DOGE-USD"/,
      { channel: 'trades', symbol: 'DOGE-USD' },
    ],
    [
      'a missing action',
      { channel: 'trades', symbol: 'BTC-USD' },
      /Missing "action"/,
      { channel: 'trades', symbol: 'BTC-USD' },
    ],
    [
      'an unknown action',
      { ...BTC, action: 'watch' },
      /Unknown action "watch"/,
      { channel: 'trades', symbol: 'BTC-USD' },
    ],
    [
      'unsubscribing from trades not subscribed',
      { ...BTC, action: 'unsubscribe' },
      /Not subscribed/,
      { channel: 'trades', symbol: 'BTC-USD' },
    ],
    [
      'unsubscribing from heartbeat not subscribed',
      { action: 'unsubscribe', channel: 'heartbeat' },
      /Not subscribed/,
      { channel: 'heartbeat' },
    ],
  ];

  it.each(cases)('rejects %s, naming what was asked', async (_name, request, reason, named) => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(request);
    const reply = await c.nth(0);
    expect(reply).toEqual({ seqnum: 0, event: 'rejected', ...named, text: expect.stringMatching(reason) });
    expect(Object.keys(reply)).toEqual(['seqnum', 'event', ...Object.keys(named), 'text']);
  });

  it('keeps the connection usable after a rejection', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send('garbage');
    c.send(BTC);
    expect((await c.nth(0)).event).toBe('rejected');
    expect(await c.nth(1)).toEqual({ seqnum: 1, event: 'subscribed', channel: 'trades', symbol: 'BTC-USD' });
    await c.find(isTrade('BTC-USD'));
  });
});

describe('auth', () => {
  it('acks any non-empty token on the auth channel, as the real API does', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send({ token: 'anything', action: 'subscribe', channel: 'auth' });
    c.send(BTC);
    await c.nth(1);
    expect(c.raw.slice(0, 2)).toEqual([
      '{"seqnum":0,"event":"subscribed","channel":"auth"}',
      '{"seqnum":1,"event":"subscribed","channel":"trades","symbol":"BTC-USD"}',
    ]);
  });

  it.each([
    ['an empty token', { token: '', action: 'subscribe', channel: 'auth' }],
    ['no token', { action: 'subscribe', channel: 'auth' }],
  ])('rejects %s with the documented "Authentication Failed"', async (_name, request) => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(request);
    await c.nth(0);
    expect(c.raw[0]).toBe('{"seqnum":0,"event":"rejected","channel":"auth","text":"Authentication Failed"}');
  });

  it('never logs the token', async () => {
    const { logger, lines } = captureLogs();
    const sim = await h.simulator({ logger });
    const c = await h.client(sim.url);
    c.send({ token: 'top-secret-token', action: 'subscribe', channel: 'auth' });
    await c.nth(0);
    expect(JSON.stringify(lines)).not.toContain('top-secret-token');
  });
});

describe('seqnum', () => {
  it('starts at 0 and rises by 1 across acks, trades, heartbeats and rejections', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 50 });
    const c = await h.client(sim.url);
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    c.send(BTC);
    c.send({ ...BTC, symbol: 'ETH-USD' });
    await c.collect(isHeartbeat, 2, 'heartbeats');
    c.send('nonsense');
    await c.find((m) => m.event === 'rejected');
    const all = await c.waitFor((ms) => (ms.length >= 60 ? ms.slice(0, 60) : undefined), '60 messages');
    expect(all.map((m) => m.seqnum)).toEqual(all.map((_, i) => i));
    const kinds = new Set(all.map((m: WireMessage) => `${m.event}/${m.channel ?? ''}`));
    for (const kind of [
      'subscribed/heartbeat',
      'subscribed/trades',
      'updated/trades',
      'updated/heartbeat',
      'rejected/',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('is one counter per connection', async () => {
    const sim = await h.simulator();
    const a = await h.client(sim.url);
    a.send(BTC);
    await a.collect(isTrade(), 5, 'trades');
    const b = await h.client(sim.url);
    b.send(BTC);
    expect((await b.nth(0)).seqnum).toBe(0);
    const trades = await b.collect(isTrade(), 5, 'trades');
    expect(trades.map((t) => t.seqnum)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('heartbeats', () => {
  it('come every heartbeatIntervalMs to subscribed connections only, and stop on unsubscribe', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 50 });
    const listener = await h.client(sim.url);
    const bystander = await h.client(sim.url);
    listener.send({ action: 'subscribe', channel: 'heartbeat' });
    bystander.send(BTC);
    const beats = await listener.collect(isHeartbeat, 3, 'heartbeats');
    for (const [i, beat] of beats.entries()) {
      expect(Object.keys(beat)).toEqual(['seqnum', 'event', 'channel', 'timestamp']);
      expect(beat.seqnum).toBe(i + 1);
      expect(beat.timestamp).toMatch(TIMESTAMP_6);
    }
    const times = beats.map((b) => Date.parse(b.timestamp as string));
    expect(times[2] as number).toBeGreaterThan(times[0] as number);

    listener.send({ action: 'unsubscribe', channel: 'heartbeat' });
    const ack = await listener.find((m) => m.event === 'unsubscribed');
    // 40 trades at 200/s span four beat periods: time measured by the stream, not by a sleep.
    listener.send(BTC);
    await listener.collect(isTrade(), 40, 'trades after the unsubscribe');
    expect(listener.messages.filter((m) => isHeartbeat(m) && m.seqnum > ack.seqnum)).toEqual([]);
    expect(bystander.messages.filter(isHeartbeat)).toEqual([]);
  });
});
