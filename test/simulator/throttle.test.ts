import { afterEach, describe, expect, it } from 'vitest';
import { fixtureLines } from '../helpers/fixtures.js';
import { type CoinbaseMessage, isMatch, subscribe } from './coinbase-helpers.js';
import { control, Harness, isHeartbeat, isTrade } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

/** Line 7 of the Blockchain.com fixtures: the venue's answer to a throttled connection. */
const THROTTLED = (
  fixtureLines('blockchain-com', 'documented.jsonl').find((line) =>
    line.includes('Connection throttling enabled'),
  ) ?? ''
).trim();

const sub = (symbol: string) => ({ action: 'subscribe', channel: 'trades', symbol });

describe('throttle (blockchain)', () => {
  it('answers the next trades subscribe with the venue text, then ignores the connection; heartbeats go on', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 40 });
    const c = await h.client(sim.url);
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    await c.find(isHeartbeat, 'a heartbeat');
    const result = sim.fault({ kind: 'throttle' });
    expect(result.connections).toBe(0);
    expect(sim.status().armed.throttles).toBe(1);

    c.send(sub('BTC-USD'));
    await c.until(() => (c.frames.includes(THROTTLED) ? true : undefined), 'the throttling rejection');
    expect(THROTTLED).toBe(
      '{"event":"rejected","text":"Connection throttling enabled, your messages will be ignored."}',
    );

    // Ignored from now on: no ack, no trade, no rejection, while heartbeats keep the socket alive.
    const after = c.messages.length;
    c.send(sub('ETH-USD'));
    c.send({ action: 'unsubscribe', channel: 'heartbeat' });
    await c.collect((m) => isHeartbeat(m) && c.messages.indexOf(m) >= after, 5, 'heartbeats after');
    expect(c.messages.slice(after).filter((m) => !isHeartbeat(m))).toEqual([]);
    expect(sim.status().counters.connectionsThrottled).toBe(1);
    expect(sim.status().armed.throttles).toBe(0);

    // Armed once: the next connection is served as usual.
    const d = await h.client(sim.url);
    d.send(sub('BTC-USD'));
    await d.collect(isTrade('BTC-USD'), 3, 'trades on a fresh connection');
    expect(c.messages.some(isTrade('BTC-USD'))).toBe(false);
  });

  it('is armed over HTTP and validated like the other faults', async () => {
    const sim = await h.simulator();
    const { status, body } = await control(sim, '/control/fault', { kind: 'throttle', count: 2 });
    expect(status).toBe(200);
    expect(body).toMatchObject({ connections: 0, message: expect.stringMatching(/next 2 connections/) });
    expect(sim.status().armed.throttles).toBe(2);
    const bad = await control(sim, '/control/fault', { kind: 'throttle', count: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/"count"/);
    expect(() => sim.fault({ kind: 'throttle', symbol: 'BTC-USD' } as never)).toThrow(/Invalid fault/);
  });
});

describe('throttle (coinbase)', () => {
  it('answers the next subscribe with an error naming no product, then ignores the connection', async () => {
    const sim = await h.simulator();
    sim.fault({ kind: 'throttle' });
    const c = await h.client<CoinbaseMessage>(sim.coinbaseUrl);
    c.send(subscribe(['BTC-USD']));
    const error = await c.find((m) => m.type === 'error', 'the throttling error');
    expect(error).toEqual({
      type: 'error',
      message: 'ErrSlowRead',
      reason: 'The client is sending too many messages',
    });
    c.send(subscribe(['BTC-USD', 'ETH-USD']));

    // Another connection's matches mark the time passing; the throttled one hears nothing more.
    const d = await h.client<CoinbaseMessage>(sim.coinbaseUrl);
    d.send(subscribe(['BTC-USD', 'ETH-USD']));
    await d.collect(isMatch('BTC-USD'), 5, 'matches on a fresh connection');
    expect(c.messages).toEqual([error]);
    expect(sim.status().counters.connectionsThrottled).toBe(1);
  });
});
