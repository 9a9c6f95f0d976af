import { afterEach, describe, expect, it } from 'vitest';
import { control, Harness, isTrade } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const BTC = { action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' };

describe('POST /control/fault', () => {
  it('applies a fault and answers 200 with what was done', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    const { status, body } = await control(sim, '/control/fault', { kind: 'abrupt' });
    expect(status).toBe(200);
    expect(body).toEqual({
      ok: true,
      fault: { kind: 'abrupt' },
      connections: 1,
      message: expect.stringContaining('1 connection'),
    });
    expect((await c.closed).code).toBe(1006);
  });

  it('applies defaults, e.g. a reject count of 1', async () => {
    const sim = await h.simulator();
    const { status, body } = await control(sim, '/control/fault', { kind: 'reject', symbol: 'ETH-USD' });
    expect(status).toBe(200);
    expect(body.fault).toEqual({ kind: 'reject', symbol: 'ETH-USD', count: 1 });
  });

  it.each([
    ['bad JSON', '{"kind":', /not valid JSON/],
    ['an empty body', '', /not valid JSON/],
    ['an unknown kind', { kind: 'meteor' }, /"kind".*graceful/],
    ['a missing field', { kind: 'stall' }, /"seconds"/],
    ['a mistyped field', { kind: 'garbage', count: 'lots' }, /"count"/],
    ['an unknown field', { kind: 'gap', conection: 1 }, /conection/],
    ['a connection that is not open', { kind: 'gap', connection: 42 }, /"connection".*42/],
  ])('answers 400 naming the problem for %s', async (_name, body, error) => {
    const sim = await h.simulator();
    const res = await control(sim, '/control/fault', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  it('answers 413 to an oversized body and 405 to another method', async () => {
    const sim = await h.simulator();
    const big = await control(
      sim,
      '/control/fault',
      JSON.stringify({ kind: 'gap', pad: 'x'.repeat(100_000) }),
    );
    expect(big.status).toBe(413);
    const res = await fetch(`http://127.0.0.1:${sim.port}/control/fault`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await res.body?.cancel();
  });
});

describe('GET /control/status', () => {
  it('lists connections with their subscriptions, the refusal window and counters', async () => {
    const sim = await h.simulator();
    const c = await h.client(sim.url);
    c.send(BTC);
    c.send({ action: 'subscribe', channel: 'heartbeat' });
    await c.find(isTrade());
    await control(sim, '/control/fault', { kind: 'replay', count: 2 });
    await control(sim, '/control/fault', { kind: 'reject', symbol: 'ETH-USD', count: 3 });
    const { status, body } = await control(sim, '/control/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      connections: [
        {
          id: 1,
          subscriptions: ['trades:BTC-USD', 'heartbeat'],
          stalledUntil: null,
          garbagePending: 0,
          seqnum: expect.any(Number),
        },
      ],
      refusingUntil: null,
      armed: { replay: { count: 2, symbols: ['BTC-USD', 'ETH-USD'] }, rejects: { 'ETH-USD': 3 } },
      counters: {
        connectionsOpened: 1,
        tradesSent: expect.any(Number),
        faults: { replay: 1, reject: 1, abrupt: 0 },
      },
    });
  });

  it('shows the refusal window while a refuse fault holds', async () => {
    const sim = await h.simulator();
    await control(sim, '/control/fault', { kind: 'refuse', seconds: 60 });
    const { body } = await control(sim, '/control/status');
    expect(Date.parse(body.refusingUntil as string)).toBeGreaterThan(Date.now() + 50_000);
  });
});

describe('other paths', () => {
  it('stay 404', async () => {
    const sim = await h.simulator();
    for (const path of ['/', '/control', '/control/faults', '/ws']) {
      const res = await fetch(`http://127.0.0.1:${sim.port}${path}`);
      expect(res.status, path).toBe(404);
      await res.body?.cancel();
    }
  });
});
