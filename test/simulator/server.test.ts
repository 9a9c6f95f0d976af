import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUFFERED_BYTES, startSimulator } from '../../simulator/index.js';
import { captureLogs, eventually, Harness, isTrade, TestClient } from './helpers.js';

const h = new Harness();
afterEach(() => h.cleanup());

const BTC = { action: 'subscribe', channel: 'trades', symbol: 'BTC-USD' };

describe('startSimulator', () => {
  it.each([
    [{ rate: 0 }, /"rate"/],
    [{ rate: -5 }, /"rate"/],
    [{ rate: Number.POSITIVE_INFINITY }, /"rate"/],
    [{ rate: Number.NaN }, /"rate"/],
    [{ port: 70_000 }, /"port"/],
    [{ port: 1.5 }, /"port"/],
    [{ seed: 0.5 }, /"seed"/],
    [{ symbols: [] }, /"symbols"/],
    [{ symbols: ['BTC-USD', 'BTC-USD'] }, /"symbols".*repeat/],
    [{ symbols: [''] }, /"symbols.0"/],
    [{ heartbeatIntervalMs: 0 }, /"heartbeatIntervalMs"/],
    [{ host: '' }, /"host"/],
    [{ rat: 5 }, /"rat"/],
  ])('refuses %j, naming the option', async (options, name) => {
    await expect(startSimulator({ port: 0, ...options })).rejects.toThrow(name);
  });

  it('serves an ephemeral port and reports its url', async () => {
    const sim = await h.simulator();
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.url).toBe(`ws://127.0.0.1:${sim.port}/ws`);
  });

  it('rejects when the port is taken', async () => {
    const sim = await h.simulator();
    await expect(startSimulator({ port: sim.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('offers only the configured symbols', async () => {
    const sim = await h.simulator({ symbols: ['SOL-USD'] });
    const c = await h.client(sim.url);
    c.send(BTC);
    c.send({ ...BTC, symbol: 'SOL-USD' });
    expect((await c.nth(0)).text).toMatch(/Unknown symbol "BTC-USD".*SOL-USD/);
    const trade = await c.find(isTrade('SOL-USD'));
    expect(Math.abs((trade.price as number) / 100 - 1)).toBeLessThan(0.01);
  });
});

describe('endpoints', () => {
  it('speaks on the real API path /mercury-gateway/v1/ws too', async () => {
    const sim = await h.simulator();
    const c = await h.client(`ws://127.0.0.1:${sim.port}/mercury-gateway/v1/ws`, {
      headers: { Origin: 'https://exchange.blockchain.com' },
    });
    c.send(BTC);
    expect(await c.nth(0)).toEqual({ seqnum: 0, event: 'subscribed', channel: 'trades', symbol: 'BTC-USD' });
    await c.find(isTrade('BTC-USD'));
  });

  it('refuses WebSocket upgrades on other paths with 404', async () => {
    const sim = await h.simulator();
    await expect(TestClient.connect(`ws://127.0.0.1:${sim.port}/other`)).rejects.toThrow(/404/);
  });

  it('answers plain HTTP requests with 404', async () => {
    const sim = await h.simulator();
    const res = await fetch(`http://127.0.0.1:${sim.port}/ws`);
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});

describe('lifecycle', () => {
  it('counts connections', async () => {
    const sim = await h.simulator();
    expect(sim.connections()).toBe(0);
    const a = await h.client(sim.url);
    await h.client(sim.url);
    expect(sim.connections()).toBe(2);
    await a.close();
    await eventually(() => sim.connections() === 1, 'one connection left');
  });

  it('close() closes client sockets with 1001 and stops the server; twice is fine', async () => {
    const sim = await startSimulator({ port: 0, rate: 200, heartbeatIntervalMs: 50 });
    const a = await TestClient.connect(sim.url);
    const b = await TestClient.connect(sim.url);
    a.send(BTC);
    b.send({ action: 'subscribe', channel: 'heartbeat' });
    await a.find(isTrade());
    await Promise.all([sim.close(), sim.close()]);
    expect(await a.closed).toEqual({ code: 1001, reason: 'Simulator shutting down' });
    expect((await b.closed).code).toBe(1001);
    expect(sim.connections()).toBe(0);
    await expect(TestClient.connect(sim.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('terminates a client that does not read, instead of buffering without bound', async () => {
    const { logger, lines } = captureLogs();
    const sim = await h.simulator({ rate: 100_000, logger });
    let raw: Socket | undefined;
    const c = await h.client(sim.url, {
      createConnection: (options) => {
        raw = connect(options as { port: number; host: string });
        return raw;
      },
    });
    c.send(BTC);
    await c.find(isTrade());
    raw?.pause();
    await eventually(() => sim.connections() === 0, 'the slow client to be dropped');
    const warning = lines.find((l) => l.msg === 'client too slow, terminating connection');
    expect(warning).toMatchObject({ level: 40, conn: 1 });
    expect(warning?.bufferedAmount).toBeGreaterThan(MAX_BUFFERED_BYTES);
    raw?.resume();
    await c.closed;
  });
});

describe('logging', () => {
  it('logs connections at info with an id and never a trade at info', async () => {
    const { logger, lines } = captureLogs();
    const sim = await h.simulator({ logger });
    const c = await h.client(sim.url);
    c.send(BTC);
    await c.collect(isTrade(), 50, 'trades');
    await c.close();
    await eventually(() => lines.some((l) => l.msg === 'connection closed'), 'the close log');
    const info = lines.filter((l) => (l.level as number) >= 30);
    expect(info.map((l) => l.msg)).toEqual(['simulator listening', 'connection opened', 'connection closed']);
    expect(info[1]?.conn).toBe(1);
    expect(lines.find((l) => l.msg === 'subscribed')).toMatchObject({ level: 20, conn: 1 });
  });
});
