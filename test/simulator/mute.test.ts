import { afterEach, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../../simulator/index.js';
import { type CoinbaseMessage, isMatch, subscribe } from './coinbase-helpers.js';
import { control, Harness, isHeartbeat, isTrade } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const sub = (symbol: string) => ({ action: 'subscribe', channel: 'trades', symbol });

describe('mute (blockchain)', () => {
  it('leaves the next trades subscribe unanswered; heartbeats and later requests are served', async () => {
    const sim = await h.simulator({ heartbeatIntervalMs: 40 });
    const c = await h.client(sim.url);
    const result = sim.fault({ kind: 'mute' });
    expect(result.connections).toBe(0);
    expect(sim.status().armed.mutes).toBe(1);

    // The heartbeat subscribe is not a trades subscribe: answered, and the heartbeats flow.
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    c.send(sub('BTC-USD'));
    await c.collect(isHeartbeat, 5, 'heartbeats after the muted subscribe');
    // Neither an ack, a rejection nor a trade for the muted request.
    const about = (symbol: string) => (m: unknown) => JSON.stringify(m).includes(symbol);
    expect(c.messages.filter(about('BTC-USD'))).toEqual([]);
    expect(sim.status().counters.subscribesMuted).toBe(1);
    expect(sim.status().armed.mutes).toBe(0);

    // Armed once: the same connection's next subscribe is answered, and its trades flow.
    c.send(sub('ETH-USD'));
    await c.collect(isTrade('ETH-USD'), 3, 'ETH-USD trades');
    expect(c.messages.some(isTrade('BTC-USD'))).toBe(false);
  });

  it('is armed over HTTP and validated like the other faults', async () => {
    const sim = await h.simulator();
    const { status, body } = await control(sim, '/control/fault', { kind: 'mute', count: 2 });
    expect(status).toBe(200);
    expect(body).toMatchObject({ connections: 0, message: expect.stringMatching(/next 2 subscribes/) });
    expect(sim.status().armed.mutes).toBe(2);
    const bad = await control(sim, '/control/fault', { kind: 'mute', count: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/"count"/);
    expect(() => sim.fault({ kind: 'mute', seconds: 1 } as never)).toThrow(/Invalid fault/);
  });

  it('can be written in a scenario, count defaulting to 1', () => {
    const scenario = scenarioSchema.parse({ faults: [{ atMs: 0, fault: { kind: 'mute' } }] });
    expect(scenario.faults[0]?.fault).toEqual({ kind: 'mute', count: 1 });
  });
});

describe('mute (coinbase)', () => {
  it('leaves the next subscribe unanswered, without closing the connection for not subscribing', async () => {
    const sim = await h.simulator();
    sim.fault({ kind: 'mute' });
    const c = await h.client<CoinbaseMessage>(sim.coinbaseUrl);
    c.send(subscribe(['BTC-USD']));
    // Another connection's matches mark the time passing; the muted request hears nothing.
    const d = await h.client<CoinbaseMessage>(sim.coinbaseUrl);
    d.send(subscribe(['BTC-USD']));
    await d.collect(isMatch('BTC-USD'), 5, 'matches on another connection');
    expect(c.messages).toEqual([]);
    expect(sim.status().counters.subscribesMuted).toBe(1);

    // The connection still works: its next subscribe is answered.
    c.send(subscribe(['ETH-USD']));
    await c.find((m) => m.type === 'subscriptions', 'the subscriptions answer');
    await c.collect(isMatch('ETH-USD'), 2, 'ETH-USD matches');
  });
});
