import { afterEach, describe, expect, it } from 'vitest';
import { Harness, isHeartbeat, isTrade, TestClient } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const BTC = { action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' };

describe('refuse by attempts', () => {
  it('drops connections and refuses exactly the next N attempts', async () => {
    const sim = await h.simulator();
    const a = await h.client(sim.url);
    expect(sim.fault({ kind: 'refuse', attempts: 2 })).toMatchObject({
      connections: 1,
      message: expect.stringContaining('next 2 attempts'),
    });
    expect((await a.closed).code).toBe(1006);
    expect(sim.status()).toMatchObject({ refuseAttempts: 2, refusingUntil: null });
    await expect(TestClient.connect(sim.url)).rejects.toThrow(/503/);
    await expect(TestClient.connect(sim.url)).rejects.toThrow(/503/);
    const c = await h.client(sim.url);
    c.send(BTC);
    await c.find(isTrade());
    expect(sim.status()).toMatchObject({ refuseAttempts: 0, counters: { connectionsRefused: 2 } });
  });

  it.each([
    [{ kind: 'refuse' }, /"seconds": exactly one of "seconds" and "attempts"/],
    [{ kind: 'refuse', seconds: 1, attempts: 1 }, /"attempts": exactly one/],
    [{ kind: 'refuse', attempts: 0 }, /"attempts"/],
  ])('refuses %j', async (fault, message) => {
    const sim = await h.simulator();
    expect(() => sim.fault(fault as never)).toThrow(message);
  });
});

describe('quiet', () => {
  it('pauses trade generation (heartbeats go on) until lifted, without a catch-up burst', async () => {
    const sim = await h.simulator({ recordSent: true, heartbeatIntervalMs: 20 });
    const c = await h.client(sim.url);
    c.send(BTC);
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    await c.collect(isTrade(), 5, 'trades');
    expect(sim.fault({ kind: 'quiet', seconds: 60 }).connections).toBe(0);
    const sentAtQuiet = sim.sent().length;
    expect(sim.status().quietUntil).not.toBeNull();
    // Five heartbeats (100 ms at 20 ms each, 20 trades' worth at 200/s) with no new trade sent.
    const beats = c.messages.filter(isHeartbeat).length;
    await c.collect(isHeartbeat, beats + 5, 'heartbeats while quiet');
    expect(sim.sent().length).toBe(sentAtQuiet);

    sim.fault({ kind: 'quiet', seconds: 0 });
    const resumedAt = performance.now();
    const trades = c.messages.filter(isTrade()).length;
    await c.collect(isTrade(), trades + 20, 'trades after the pause');
    // 20 trades at 200/s take about 100 ms when the schedule restarts; a burst would be instant.
    expect(performance.now() - resumedAt).toBeGreaterThanOrEqual(80);
    expect(sim.status().quietUntil).toBeNull();
    const ids = sim.sent().map((s) => Number(s.tradeId));
    expect(ids).toEqual(ids.map((_, i) => (ids[0] as number) + i));
  });
});
